/**
 * Builds both targets of the repository's Dockerfile, unchanged, with the container engine this
 * machine has (Docker, or daemonless Podman), and records what was built in
 * `.data/images/manifest.json` for the image tests (`npm run test:images`).
 *
 *   tsx scripts/images/build-images.ts [--base auto|local|stand-in]
 *
 * `--base` says where the Dockerfile's base image comes from: `local` (already in the engine's
 * store), `stand-in` (built here from Debian's packages and the npm registry, for a machine that
 * cannot reach a container registry), or `auto` (default: local if present, else pull, else the
 * stand-in); `IMAGE_BASE` sets the same from the environment. Exits non-zero, saying why, when no
 * engine can build here.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const SOURCE_ROOT = path.resolve(__dirname, '..', '..');
import { SERVICE_DOCKERFILE, type ServiceImageTarget } from '../../stacks/service-image';
import { buildBaseImageStandIn, parseNodeBaseImage } from './base-image-stand-in';
import {
  type ContainerEngine,
  detectContainerEngine,
  imageExists,
  runEngine,
} from './container-engine';
import { IMAGE_MANIFEST_FILE, type ImageManifest, imageTag } from './image-manifest';

type BaseSource = 'auto' | 'local' | 'stand-in';

function parseArguments(argv: readonly string[], env: NodeJS.ProcessEnv): { base: BaseSource } {
  const args = env.IMAGE_BASE ? ['--base', env.IMAGE_BASE, ...argv] : argv;
  let base: BaseSource = 'auto';
  for (let index = 0; index < args.length; index += 1) {
    const argument = args[index];
    const value = argument === '--base' ? args[++index] : /^--base=(.*)$/.exec(argument ?? '')?.[1];
    if (value === undefined) throw new Error(`unknown argument ${argument ?? ''}`);
    if (value !== 'auto' && value !== 'local' && value !== 'stand-in') {
      throw new Error('--base must be auto, local or stand-in');
    }
    base = value;
  }
  return { base };
}

/** The Dockerfile's first `FROM` image: the base every target is built on. */
export function dockerfileBaseImage(dockerfile: string): string {
  const image = /^FROM\s+(?:--platform=\S+\s+)?(\S+)/im.exec(dockerfile)?.[1];
  if (image === undefined) throw new Error('the Dockerfile has no FROM line');
  return image;
}

function npmSetting(key: string): string | undefined {
  const value = execFileSync('npm', ['config', 'get', key], { encoding: 'utf8' }).trim();
  return value === '' || value === 'null' || value === 'undefined' ? undefined : value;
}

/**
 * Mounts that let the build's `npm ci` reach the registry the way this machine's npm does: its
 * CA bundle and proxy settings, as a global npmrc of the image's npm (prefix /usr/local). Only
 * Podman can mount into a build; a Docker host is expected to reach the registry as it is.
 */
function npmSettingsMounts(engine: ContainerEngine, work: string): string[] {
  if (engine.name !== 'podman') return [];
  const lines: string[] = [];
  const mounts: string[] = [];
  const cafile = npmSetting('cafile');
  if (cafile !== undefined) {
    mounts.push('-v', `${cafile}:/etc/npm-build-ca.pem:ro`);
    lines.push('cafile=/etc/npm-build-ca.pem');
  }
  for (const key of ['registry', 'proxy', 'https-proxy', 'noproxy']) {
    const value = npmSetting(key);
    if (value !== undefined) lines.push(`${key}=${value}`);
  }
  const npmrc = path.join(work, 'npmrc');
  fs.writeFileSync(npmrc, `${lines.join('\n')}\n`);
  return [...mounts, '-v', `${npmrc}:/usr/local/etc/npmrc:ro`];
}

async function imageSize(engine: ContainerEngine, image: string): Promise<number> {
  return Number(
    (await runEngine(engine, ['image', 'inspect', '--format', '{{.Size}}', image])).trim(),
  );
}

async function ensureBaseImage(
  engine: ContainerEngine,
  image: string,
  base: BaseSource,
): Promise<ImageManifest['baseImage']> {
  const started = Date.now();
  const reference = parseNodeBaseImage(image).reference;
  if (base !== 'stand-in' && imageExists(engine, reference)) {
    return { reference, source: 'local', seconds: 0 };
  }
  if (base === 'local') throw new Error(`--base local, but ${reference} is not in the store`);
  if (base === 'auto') {
    try {
      await runEngine(engine, ['pull', reference], { inheritOutput: true, timeoutMs: 300_000 });
      return { reference, source: 'pulled', seconds: (Date.now() - started) / 1000 };
    } catch {
      console.log(`${reference} cannot be pulled here; building a stand-in for it`);
    }
  }
  await buildBaseImageStandIn({ engine, image, sourceRoot: SOURCE_ROOT });
  return { reference, source: 'stand-in', seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const { base } = parseArguments(process.argv.slice(2), process.env);
  const engine = detectContainerEngine();
  const dockerfile = fs.readFileSync(path.join(SOURCE_ROOT, SERVICE_DOCKERFILE), 'utf8');
  const baseImage = await ensureBaseImage(engine, dockerfileBaseImage(dockerfile), base);
  const baseSize = await imageSize(engine, baseImage.reference);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'image-build-'));
  const images: ImageManifest['images'] = {};
  try {
    // api first: it builds the shared build stage, which the consumer then takes from the cache.
    for (const target of ['api', 'consumer'] as const satisfies readonly ServiceImageTarget[]) {
      const tag = imageTag(target);
      const started = Date.now();
      await runEngine(
        engine,
        [
          'build',
          '--file',
          SERVICE_DOCKERFILE,
          '--target',
          target,
          '--platform',
          'linux/amd64',
          '--tag',
          tag,
          ...(engine.name === 'podman'
            ? [
                '--pull=never',
                '--network',
                'host',
                ...engine.runFlags,
                ...npmSettingsMounts(engine, work),
              ]
            : []),
          '.',
        ],
        { inheritOutput: true, timeoutMs: 1_200_000 },
      );
      const seconds = (Date.now() - started) / 1000;
      const sizeBytes = await imageSize(engine, tag);
      images[target] = { tag, seconds, sizeBytes, addedToBaseBytes: sizeBytes - baseSize };
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  const manifest: ImageManifest = {
    builtAt: new Date().toISOString(),
    engine: engine.name,
    baseImage: { ...baseImage, sizeBytes: baseSize },
    images,
  };
  fs.mkdirSync(path.dirname(IMAGE_MANIFEST_FILE), { recursive: true });
  fs.writeFileSync(IMAGE_MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`);

  const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  console.log(
    `base ${baseImage.reference} (${baseImage.source}, ${baseImage.seconds.toFixed(0)} s): ${mib(baseSize)}`,
  );
  for (const [target, image] of Object.entries(images)) {
    console.log(
      `${target}: ${image.tag} built in ${image.seconds.toFixed(0)} s, ${mib(image.sizeBytes)} ` +
        `(${mib(image.addedToBaseBytes)} over the base) [${engine.name}]`,
    );
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
