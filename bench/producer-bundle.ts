/**
 * `npx tsx bench/producer-bundle.ts` — bundles the producer Lambda with the stack's own options
 * (stacks/producer-bundling.ts) and reports its size, minified and not, beside gzip. Writes
 * `bench/results/producer-bundle.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { esbuildOptionsOf } from '../stacks/lambda-bundling';
import { PRODUCER_BUNDLING } from '../stacks/producer-bundling';

export interface ProducerBundle {
  code: string;
  /** The linked source map, as deployed beside the code. */
  sourceMap: string | undefined;
  bytes: number;
  gzipBytes: number;
  /** Modules left for the runtime to provide (the AWS SDK, Smithy and Node built-ins only). */
  externalImports: string[];
  /** Bytes in the output per npm package or project folder, largest first. */
  largestInputs: Array<{ input: string; bytes: number }>;
}

/** `node_modules/@scope/name/...` → `@scope/name`; `producer/x.ts` → `producer/`. */
const packageOf = (input: string): string => {
  const npmPackage = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (npmPackage?.[1] !== undefined) return npmPackage[1];
  return input.replace(/^([^/]+)\/.*$/, '$1/');
};

/**
 * Bundles the producer handler in memory with the stack's options (minified unless asked
 * otherwise, to measure what minifying saves).
 */
export async function bundleProducer(
  options: { minify?: boolean; rootDir?: string } = {},
): Promise<ProducerBundle> {
  const rootDir = options.rootDir ?? path.resolve(__dirname, '..');
  const outfile = path.join(rootDir, 'dist', 'producer', 'index.js');
  const result = await build({
    ...esbuildOptionsOf(PRODUCER_BUNDLING, rootDir, { outfile, minify: options.minify }),
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles.find((file) => file.path === outfile);
  const sourceMap = result.outputFiles.find((file) => file.path === `${outfile}.map`);
  if (output === undefined) throw new Error('esbuild produced no bundle');
  const metafile: Metafile = result.metafile;
  const outputMeta = metafile.outputs[path.relative(rootDir, outfile).split(path.sep).join('/')];
  const externalImports = [
    ...new Set(
      (outputMeta?.imports ?? []).filter((entry) => entry.external).map((entry) => entry.path),
    ),
  ].sort();
  const sizes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(outputMeta?.inputs ?? {})) {
    const key = packageOf(input);
    sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
  }
  const largestInputs = [...sizes]
    .map(([input, bytes]) => ({ input, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
  return {
    code: output.text,
    sourceMap: sourceMap?.text,
    bytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents).byteLength,
    externalImports,
    largestInputs,
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  const minified = await bundleProducer({ minify: true });
  const plain = await bundleProducer({ minify: false });
  console.log(
    `producer bundle, minified: ${kib(minified.bytes)} (gzip ${kib(minified.gzipBytes)})`,
  );
  console.log(
    `producer bundle, not minified (CDK default): ${kib(plain.bytes)} (gzip ${kib(plain.gzipBytes)})`,
  );
  console.log(
    `largest parts: ${minified.largestInputs
      .slice(0, 5)
      .map((part) => `${part.input} ${kib(part.bytes)}`)
      .join(', ')}`,
  );
  console.log(`left to the runtime: ${minified.externalImports.join(', ')}`);
  const resultsDir = path.resolve(__dirname, 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    path.join(resultsDir, 'producer-bundle.json'),
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        minified: { bytes: minified.bytes, gzipBytes: minified.gzipBytes },
        notMinified: { bytes: plain.bytes, gzipBytes: plain.gzipBytes },
        externalImports: minified.externalImports,
        largestInputs: minified.largestInputs.slice(0, 10),
      },
      null,
      2,
    )}\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
