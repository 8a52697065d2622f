import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { stop as stopEsbuild } from 'esbuild';
import { isBuiltin } from 'node:module';
import { buildServiceBundles, SELF_CONTAINED_BUNDLES, SERVICE_ENTRIES } from '../../scripts/build';
import { parseDockerfileStages, type DockerStage } from '../../scripts/dockerfile-stages';
import { MIGRATION_READERS, serviceBuildOutputs } from '../../scripts/images/expected-image-files';
import { SOURCE_ROOT } from '../../stacks/app';
import { SERVICE_DOCKERFILE, serviceImage } from '../../stacks/service-image';

/** The Dockerfile's stages, read offline: enough to check it without Docker. */
function dockerStages(): DockerStage[] {
  return parseDockerfileStages(fs.readFileSync(path.join(SOURCE_ROOT, SERVICE_DOCKERFILE), 'utf8'));
}

function stageNamed(name: string): DockerStage {
  const stage = dockerStages().find((candidate) => candidate.name === name);
  if (stage === undefined) throw new Error(`the Dockerfile has no stage ${name}`);
  return stage;
}

/** What a target takes from the build stage: the `dist/` paths its COPY --from=build names. */
function builtFilesCopiedBy(target: string): string[] {
  return stageNamed(target)
    .copies.filter((copy) => copy.from === 'build')
    .flatMap((copy) =>
      copy.sources.map((source) => path.relative('/app', path.resolve('/app', source))),
    );
}

describe("npm run build (the container images' bundles)", () => {
  let outDir: string;
  let bundles: string[];
  let sourceFiles: string[];
  let requires: Record<string, string[]>;

  beforeAll(async () => {
    outDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'service-bundles-')), 'dist');
    ({ bundles, sourceFiles, requires } = await buildServiceBundles({ outDir }));
  }, 60_000);

  afterAll(async () => {
    // esbuild keeps a service process alive between builds; let the jest worker exit.
    await stopEsbuild();
    fs.rmSync(path.dirname(outDir), { recursive: true, force: true });
  });

  test('writes api.js, consumer.js, migrate.js and reconciler.js', () => {
    expect(bundles.map((bundle) => path.basename(bundle)).sort()).toEqual(
      Object.keys(SERVICE_ENTRIES)
        .map((name) => `${name}.js`)
        .sort(),
    );
    for (const bundle of bundles) expect(fs.statSync(bundle).size).toBeGreaterThan(1000);
  });

  test('writes exactly the files the image checks expect of it (serviceBuildOutputs)', () => {
    const written = fs
      .readdirSync(outDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) =>
        path.posix.join('dist', path.relative(outDir, path.join(entry.parentPath, entry.name))),
      );
    expect(written.sort()).toEqual(serviceBuildOutputs());
  });

  test('the bundles that read the compiled migrations are the MIGRATION_READERS the image checks give them to', () => {
    // esbuild marks each module it bundles with a `// <path>` comment.
    const readers = bundles
      .filter((bundle) => fs.readFileSync(bundle, 'utf8').includes('\n// migrations/index.ts\n'))
      .map((bundle) => path.basename(bundle, '.js'));
    expect(readers.sort()).toEqual([...MIGRATION_READERS].sort());
  });

  test("compiles the repository's own TypeScript in and leaves only npm packages and built-ins to require", () => {
    const dependencies = Object.keys(
      (
        JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
          dependencies: Record<string, string>;
        }
      ).dependencies,
    );
    expect(Object.keys(requires).sort()).toEqual(
      bundles.map((bundle) => path.basename(bundle)).sort(),
    );
    for (const [bundle, required] of Object.entries(requires)) {
      const selfContained = SELF_CONTAINED_BUNDLES.some((name) => bundle === `${name}.js`);
      for (const specifier of required) {
        // Production dependencies only: the runtime image installs nothing else; a
        // self-contained bundle has no node_modules beside it at all.
        const isDependency = dependencies.some(
          (name) => specifier === name || specifier.startsWith(`${name}/`),
        );
        expect({
          bundle,
          specifier,
          allowed: isBuiltin(specifier) || (!selfContained && isDependency),
        }).toEqual({ bundle, specifier, allowed: true });
      }
      if (!selfContained) {
        // Its npm packages stay outside, for the runtime stage's npm ci to provide.
        expect({ bundle, packages: required.some((specifier) => !isBuiltin(specifier)) }).toEqual({
          bundle,
          packages: true,
        });
      }
    }
  });

  test('a self-contained bundle runs with no node_modules anywhere above it', async () => {
    expect(SELF_CONTAINED_BUNDLES).toEqual(['consumer']);
    const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'self-contained-'));
    try {
      for (const name of SELF_CONTAINED_BUNDLES) {
        fs.copyFileSync(path.join(outDir, `${name}.js`), path.join(isolated, `${name}.js`));
        // With no configuration it loads every module, then refuses to start, naming variables.
        const run = await promisify(execFile)(
          process.execPath,
          [path.join(isolated, `${name}.js`)],
          {
            env: { PATH: process.env.PATH ?? '' },
            cwd: isolated,
          },
        ).then(
          () => ({ exitCode: 0, stderr: '' }),
          (error: { code?: number; stderr?: string }) => ({
            exitCode: error.code ?? -1,
            stderr: error.stderr ?? '',
          }),
        );
        expect(run.exitCode).toBe(1);
        expect(run.stderr).toContain('Invalid configuration: QUEUE_URL');
        expect(run.stderr).not.toMatch(/Cannot find module/);
      }
    } finally {
      fs.rmSync(isolated, { recursive: true, force: true });
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

  describe('the Dockerfile (checked offline; Docker builds it at deploy time)', () => {
    test('the api target carries the API, the migration runner with its migrations, and the reconciler; the consumer target the consumer alone', () => {
      expect(builtFilesCopiedBy('api').sort()).toEqual(
        [
          'dist/api.js',
          'dist/api.js.map',
          'dist/migrate.js',
          'dist/migrate.js.map',
          'dist/migrations',
          'dist/reconciler.js',
          'dist/reconciler.js.map',
        ].sort(),
      );
      expect(builtFilesCopiedBy('consumer').sort()).toEqual([
        'dist/consumer.js',
        'dist/consumer.js.map',
      ]);
      const shipped = [...builtFilesCopiedBy('api'), ...builtFilesCopiedBy('consumer')];
      for (const bundle of bundles) {
        expect(shipped).toContain(`dist/${path.basename(bundle)}`);
      }
    });

    test('the build stage copies every file the bundles are compiled from', () => {
      const copied = stageNamed('build')
        .copies.filter((copy) => copy.from === undefined)
        .flatMap((copy) => copy.sources);
      const isCopied = (file: string) =>
        copied.some(
          (source) => file === source || file.startsWith(`${source.replace(/\/$/, '')}/`),
        );
      expect(sourceFiles.length).toBeGreaterThan(10);
      expect(sourceFiles.filter((file) => !isCopied(file))).toEqual([]);
    });

    test('.dockerignore lets into the staged build context every file the build stage needs, and not node_modules', () => {
      const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'image-context-')) });
      const stack = new Stack(app, 'ImageContext');
      // CDK stages the context when the asset is constructed, as `npm run synth` does.
      serviceImage(stack, 'Image', { sourceRoot: SOURCE_ROOT, target: 'api' });
      const [context] = fs
        .readdirSync(app.outdir)
        .filter((entry) => entry.startsWith('asset.'))
        .map((entry) => path.join(app.outdir, entry));
      if (context === undefined) throw new Error('no image asset was staged');
      const needed = [
        SERVICE_DOCKERFILE,
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        ...sourceFiles,
      ];
      expect(needed.filter((file) => !fs.existsSync(path.join(context, file)))).toEqual([]);
      expect(fs.existsSync(path.join(context, 'node_modules'))).toBe(false);
      fs.rmSync(app.outdir, { recursive: true, force: true });
    });
  });
});
