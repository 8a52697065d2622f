import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stop as stopEsbuild } from 'esbuild';
import { buildServiceBundles, SERVICE_ENTRIES } from '../../scripts/build';

describe("npm run build (the container images' bundles)", () => {
  let outDir: string;
  let bundles: string[];

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'service-bundles-'));
    bundles = await buildServiceBundles({ outDir });
  }, 60_000);

  afterAll(async () => {
    // esbuild keeps a service process alive between builds; let the jest worker exit.
    await stopEsbuild();
    fs.rmSync(outDir, { recursive: true, force: true });
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
});
