import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stop as stopEsbuild } from 'esbuild';
import { buildServiceBundles, SERVICE_ENTRIES } from '../../scripts/build';

describe("npm run build (the container images' bundles)", () => {
  let outDir: string;
  let bundles: string[];

  beforeAll(async () => {
    outDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'service-bundles-')), 'dist');
    bundles = await buildServiceBundles({ outDir });
  }, 60_000);

  afterAll(async () => {
    // esbuild keeps a service process alive between builds; let the jest worker exit.
    await stopEsbuild();
    fs.rmSync(path.dirname(outDir), { recursive: true, force: true });
  });

  test('writes api.js, consumer.js and migrate.js', () => {
    expect(bundles.map((bundle) => path.basename(bundle)).sort()).toEqual(
      Object.keys(SERVICE_ENTRIES)
        .map((name) => `${name}.js`)
        .sort(),
    );
    for (const bundle of bundles) expect(fs.statSync(bundle).size).toBeGreaterThan(1000);
  });

  test("compiles the repository's own TypeScript in and leaves only npm packages and built-ins to require", () => {
    const dependencies = Object.keys(
      (
        JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
          dependencies: Record<string, string>;
        }
      ).dependencies,
    );
    for (const bundle of bundles) {
      const required = [...fs.readFileSync(bundle, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map(
        ([, specifier]) => specifier ?? '',
      );
      for (const specifier of required) {
        const isBuiltin = specifier.startsWith('node:');
        // Production dependencies only: the runtime image installs nothing else.
        const isDependency = dependencies.some(
          (name) => specifier === name || specifier.startsWith(`${name}/`),
        );
        expect({
          bundle: path.basename(bundle),
          specifier,
          allowed: isBuiltin || isDependency,
        }).toEqual({
          bundle: path.basename(bundle),
          specifier,
          allowed: true,
        });
      }
    }
  });

  test('compiles every migration beside the bundles, where the migration runner finds them', async () => {
    const sources = fs.readdirSync('migrations').filter((file) => /^\d{14}_.*\.ts$/.test(file));
    expect(fs.readdirSync(path.join(outDir, 'migrations')).sort()).toEqual(
      sources.map((file) => file.replace(/\.ts$/, '.js')).sort(),
    );
    // As in the image: the bundle beside its production dependencies, no TypeScript loader.
    fs.symlinkSync(path.resolve('node_modules'), path.join(path.dirname(outDir), 'node_modules'));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(outDir, 'migrate.js'), 'latest'],
      { env: { PATH: process.env.PATH ?? '', PGLITE_DATA_DIR: 'memory://' } },
    );
    expect(JSON.parse(stdout)).toMatchObject({
      applied: sources.map((file) => file.replace(/\.ts$/, '')).sort(),
      database: 'embedded',
    });
  }, 120_000);
});
