import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { MIGRATION_FILE } from '../migrations/index';

/** The service bundles the container images run: output name → entry, relative to the root. */
export const SERVICE_ENTRIES = {
  api: 'api/main.ts',
  consumer: 'consumer/main.ts',
  migrate: 'scripts/migrate.ts',
  reconciler: 'reconciler/main.ts',
} as const;

/**
 * The bundles that carry their npm packages inside, so their image needs no `node_modules`: the
 * consumer's image holds its bundle alone, not the API's database drivers and embedded
 * PostgreSQL. The others leave npm packages to the runtime stage's `npm ci --omit=dev`: knex
 * loads its dialects and the migrations by path at run time, which a bundle cannot see.
 */
export const SELF_CONTAINED_BUNDLES: readonly (keyof typeof SERVICE_ENTRIES)[] = ['consumer'];

export interface ServiceBundles {
  /** Absolute paths of the bundles written (not the migrations). */
  bundles: string[];
  /**
   * The repository's files compiled into the bundles and migrations, relative to the root: what
   * the image's build stage must copy (the npm packages a self-contained bundle carries come
   * from its `npm ci`, not from a copy, and are not listed).
   */
  sourceFiles: string[];
  /** Per bundle file name (`consumer.js`), what it leaves to `require` at run time. */
  requires: Record<string, string[]>;
}

export interface BuildServiceBundlesOptions {
  /** Repository root holding package.json and the entries. @default the parent of scripts/ */
  rootDir?: string;
  /**
   * Where `api.js`, `consumer.js`, `migrate.js` and `reconciler.js` are written, and the compiled migrations under
   * `migrations/`. @default `<rootDir>/dist`
   */
  outDir?: string;
}

/**
 * Bundles the API, the consumer, the migration runner and the reconciler into `dist/` for the
 * container images. npm packages stay external (the image installs production dependencies with
 * `npm ci --omit=dev`) except in SELF_CONTAINED_BUNDLES, while the repository's own TypeScript
 * (the `#contract/*` aliases) is compiled in, because Node cannot load `.ts` files at run time.
 * Each migration is compiled on its own into `dist/migrations/`, where the migration runner finds
 * it on disk, as it finds the `.ts` files in migrations/ when run from source.
 */
export async function buildServiceBundles(
  options: BuildServiceBundlesOptions = {},
): Promise<ServiceBundles> {
  const rootDir = options.rootDir ?? path.resolve(__dirname, '..');
  const outDir = options.outDir ?? path.join(rootDir, 'dist');
  const written: string[] = [];
  const sourceFiles = new Set<string>();
  const requires: Record<string, string[]> = {};
  for (const [name, entry] of Object.entries(SERVICE_ENTRIES)) {
    const outfile = path.join(outDir, `${name}.js`);
    const result = await build({
      absWorkingDir: rootDir,
      entryPoints: [path.join(rootDir, entry)],
      outfile,
      bundle: true,
      packages: SELF_CONTAINED_BUNDLES.includes(name as keyof typeof SERVICE_ENTRIES)
        ? 'bundle'
        : 'external',
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      sourcemap: 'linked',
      logLevel: 'warning',
      metafile: true,
    });
    written.push(outfile);
    requires[path.basename(outfile)] = [
      ...new Set(
        Object.values(result.metafile.outputs).flatMap((output) =>
          output.imports.filter((imported) => imported.external).map((imported) => imported.path),
        ),
      ),
    ].sort();
    for (const input of Object.keys(result.metafile.inputs)) {
      if (!input.startsWith('node_modules/')) sourceFiles.add(input);
    }
  }
  const migrationFiles = fs
    .readdirSync(path.join(rootDir, 'migrations'))
    .filter((file) => MIGRATION_FILE.test(file) && file.endsWith('.ts'));
  const migrations = await build({
    absWorkingDir: rootDir,
    entryPoints: migrationFiles.map((file) => path.join(rootDir, 'migrations', file)),
    outdir: path.join(outDir, 'migrations'),
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    logLevel: 'warning',
    metafile: true,
  });
  for (const input of Object.keys(migrations.metafile.inputs)) sourceFiles.add(input);
  return { bundles: written, sourceFiles: [...sourceFiles].sort(), requires };
}

if (require.main === module) {
  buildServiceBundles().then(
    ({ bundles }) =>
      process.stdout.write(
        `${bundles.map((file) => `built ${path.relative(process.cwd(), file)}`).join('\n')}\n`,
      ),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
