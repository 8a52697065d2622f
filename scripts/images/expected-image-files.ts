import fs from 'node:fs';
import path from 'node:path';
import { MIGRATION_FILE } from '../../migrations/index';
import { SERVICE_ENTRIES } from '../build';
import { parseDockerfileStages, stageLineage, type DockerStage } from '../dockerfile-stages';

/**
 * What each container image must hold for the commands it runs, worked out offline from the
 * Dockerfile, the files `npm run build` writes and the commands the task definitions give.
 *
 * Two checks share it:
 * - test/infra/deploy-preflight.test.ts (offline): every needed file is brought by a
 *   `COPY --from=<build stage>` line, and every such line copies something the build writes;
 * - the built-image test (`npm run test:images`): every needed file (`commands[].files`) is in
 *   the built image's file list. Feed it the task definitions' containers (see
 *   `containerCommandsOf` in test/infra/image-checks.ts) and the Dockerfile's text.
 * Keep it free of test code and of Docker: both run it, one of them without a daemon.
 */

/** The service bundles whose code reads the compiled migrations from `migrations/` beside it. */
export const MIGRATION_READERS: readonly (keyof typeof SERVICE_ENTRIES)[] = ['api', 'migrate'];

/** Where `npm run build` writes, relative to the directory it runs in (see scripts/build.ts). */
const BUILD_OUT_DIR = 'dist';

/**
 * The files `npm run build` writes, relative to the directory it runs in: each service bundle
 * with its source map, and each migration compiled on its own into `dist/migrations/`.
 * test/infra/build.test.ts holds this list to what the build really writes.
 */
export function serviceBuildOutputs(rootDir = path.resolve(__dirname, '..', '..')): string[] {
  const bundles = Object.keys(SERVICE_ENTRIES).flatMap((name) => [
    `${BUILD_OUT_DIR}/${name}.js`,
    `${BUILD_OUT_DIR}/${name}.js.map`,
  ]);
  const migrations = fs
    .readdirSync(path.join(rootDir, 'migrations'))
    .filter((file) => MIGRATION_FILE.test(file) && file.endsWith('.ts'))
    .map((file) => `${BUILD_OUT_DIR}/migrations/${file.replace(/\.ts$/, '.js')}`);
  return [...bundles, ...migrations].sort();
}

/** A container that runs one Dockerfile target, as a task definition declares it. */
export interface ContainerCommand {
  /** Who runs it, for messages: the container's name. */
  readonly runBy: string;
  /** The Dockerfile target its image is built from. */
  readonly target: string;
  /** The task definition's `Command`, which replaces the target's CMD; absent, the CMD runs. */
  readonly command?: readonly string[];
  /** The task definition's `WorkingDirectory`, which replaces the image's WORKDIR. */
  readonly workingDirectory?: string;
}

/** One command and the files (absolute paths inside the image) it cannot start without. */
export interface CommandNeeds {
  /** A container name, or `CMD` for the target's own default command. */
  readonly runBy: string;
  readonly argv: readonly string[];
  /**
   * The script node runs; its source map when the command enables source maps (a stack trace
   * would otherwise point into the bundle); the compiled migrations beside a migration reader.
   */
  readonly files: readonly string[];
}

export interface ImageExpectation {
  readonly target: string;
  /** Every file the target's `COPY --from=<build stage>` lines bring, absolute in the image. */
  readonly builtFiles: readonly string[];
  readonly commands: readonly CommandNeeds[];
  /**
   * What is wrong offline: a missing target or build stage, a COPY that brings nothing the build
   * writes, a command whose file no COPY brings, a command this module cannot read.
   */
  readonly problems: readonly string[];
}

export interface ExpectedImageFilesOptions {
  /** The Dockerfile's text. */
  readonly dockerfile: string;
  /** The containers that run images of this Dockerfile; their targets are the ones checked. */
  readonly containers: readonly ContainerCommand[];
  /**
   * What the build stage's `npm run build` writes, relative to the directory it runs in.
   * @default serviceBuildOutputs()
   */
  readonly buildOutputs?: readonly string[];
}

/** Node options whose value is the next word, so that word is not the script. */
const NODE_OPTIONS_WITH_VALUE = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--env-file',
  '--input-type',
  '--title',
]);
/** Node options that run code given on the command line (or none): no file is needed. */
const NODE_OPTIONS_WITHOUT_SCRIPT = new Set(['-e', '--eval', '-p', '--print', '-v', '--version']);

type NodeInvocation =
  | { kind: 'script'; script: string; sourceMaps: boolean }
  | { kind: 'inline' }
  | { kind: 'unreadable'; reason: string };

/** What `argv` asks node to run: `node [options] <script> [arguments]`. */
function readNodeInvocation(argv: readonly string[]): NodeInvocation {
  const [executable, ...rest] = argv;
  if (executable === undefined || path.posix.basename(executable) !== 'node') {
    return { kind: 'unreadable', reason: `it does not run node (${argv.join(' ')})` };
  }
  let sourceMaps = false;
  for (let index = 0; index < rest.length; index += 1) {
    const word = rest[index] ?? '';
    const option = word.split('=')[0] ?? word;
    if (word === '--') {
      const script = rest[index + 1];
      return script === undefined
        ? { kind: 'unreadable', reason: 'no script follows --' }
        : { kind: 'script', script, sourceMaps };
    }
    if (!word.startsWith('-')) return { kind: 'script', script: word, sourceMaps };
    if (NODE_OPTIONS_WITHOUT_SCRIPT.has(option)) return { kind: 'inline' };
    if (option === '--enable-source-maps') sourceMaps = true;
    if (NODE_OPTIONS_WITH_VALUE.has(word)) index += 1;
  }
  return { kind: 'unreadable', reason: 'node is given no script (it would start a REPL)' };
}

const isGlob = (source: string) => /[*?[]/.test(source);

/** A COPY source pattern as a regular expression over absolute paths (`*` stays in a segment). */
function globPattern(source: string): RegExp {
  const escaped = source
    .split('')
    .map((character) => {
      if (character === '*') return '[^/]*';
      if (character === '?') return '[^/]';
      return character.replace(/[.+^${}()|\\\]]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${escaped}$`);
}

/**
 * The files `COPY --from=<build stage>` lines bring into a target, mapped image path → path in
 * the build stage; problems for sources that match nothing the build writes.
 */
function filesFromBuild(
  lineage: readonly DockerStage[],
  buildStage: DockerStage,
  builtInStage: readonly string[],
): { files: Map<string, string>; problems: string[] } {
  const files = new Map<string, string>();
  const problems: string[] = [];
  // Root first, so a later stage's COPY overwrites what an earlier one brought to the same path.
  for (const stage of [...lineage].reverse()) {
    if (stage === buildStage) for (const file of builtInStage) files.set(file, file);
    for (const copy of stage.copies) {
      if (copy.from === undefined || copy.from !== buildStage.name) continue;
      for (const source of copy.sources) {
        // With --from, sources are paths in that stage's filesystem, relative to its root.
        const absolute = path.posix.resolve('/', source);
        const brought: [string, string][] = [];
        if (isGlob(absolute)) {
          const pattern = globPattern(absolute);
          for (const file of builtInStage.filter((candidate) => pattern.test(candidate))) {
            brought.push([path.posix.join(copy.destination, path.posix.basename(file)), file]);
          }
        } else if (builtInStage.includes(absolute)) {
          const target = copy.intoDirectory
            ? path.posix.join(copy.destination, path.posix.basename(absolute))
            : copy.destination;
          brought.push([target, absolute]);
        } else {
          // A directory: Docker copies its contents, not the directory itself.
          for (const file of builtInStage.filter((candidate) =>
            candidate.startsWith(`${absolute}/`),
          )) {
            brought.push([path.posix.join(copy.destination, file.slice(absolute.length)), file]);
          }
        }
        if (brought.length === 0) {
          problems.push(
            `target ${lineage[0]?.name ?? '?'}: COPY --from=${copy.from} ${source} brings ` +
              'nothing npm run build writes',
          );
        }
        for (const [imagePath, buildPath] of brought) files.set(imagePath, buildPath);
      }
    }
  }
  return { files, problems };
}

/** The image path node would load for `script` (as node resolves a main entry), if any. */
function resolveScript(script: string, files: ReadonlyMap<string, string>): string | undefined {
  return [script, `${script}.js`, `${script}/index.js`].find((candidate) => files.has(candidate));
}

/**
 * For each Dockerfile target the containers run: the files the target's CMD and the containers'
 * commands need, the files the target's `COPY --from=<build stage>` lines bring (the build stage
 * is the one that runs `npm run build`), and what does not add up. Only files that come from the
 * build stage are modelled: a command that needs a file copied from the context or another stage
 * is reported as unmet.
 */
export function expectedImageFiles(options: ExpectedImageFilesOptions): ImageExpectation[] {
  const stages = parseDockerfileStages(options.dockerfile);
  const buildStage = stages.find((stage) =>
    stage.runs.some((run) => /\bnpm run build\b/.test(run.command)),
  );
  const buildRun = buildStage?.runs.find((run) => /\bnpm run build\b/.test(run.command));
  const builtInStage = (options.buildOutputs ?? serviceBuildOutputs()).map((file) =>
    path.posix.join(buildRun?.workdir ?? '/', file),
  );
  const targets = [...new Set(options.containers.map((container) => container.target))].sort();

  return targets.map((target): ImageExpectation => {
    const lineage = stageLineage(stages, target);
    const [stage] = lineage;
    if (stage === undefined) {
      return {
        target,
        builtFiles: [],
        commands: [],
        problems: [`the Dockerfile has no stage named ${target}`],
      };
    }
    if (buildStage === undefined) {
      return {
        target,
        builtFiles: [],
        commands: [],
        problems: ['no stage of the Dockerfile runs npm run build'],
      };
    }
    const { files, problems } = filesFromBuild(lineage, buildStage, builtInStage);
    const cmd = lineage.find((candidate) => candidate.cmd !== undefined)?.cmd;
    const entrypoint = lineage.find((candidate) => candidate.entrypoint !== undefined)?.entrypoint;

    const runners: ContainerCommand[] = [
      { runBy: 'CMD', target },
      ...options.containers.filter((container) => container.target === target),
    ];
    const commands = runners.map((runner): CommandNeeds => {
      const command = runner.command ?? cmd;
      const argv = [...(entrypoint ?? []), ...(command ?? [])];
      const who = runner.runBy === 'CMD' ? `the CMD of target ${target}` : runner.runBy;
      if (command === undefined) {
        problems.push(`${who} runs no command: the target has no CMD`);
        return { runBy: runner.runBy, argv, files: [] };
      }
      const invocation = readNodeInvocation(argv);
      if (invocation.kind === 'inline') return { runBy: runner.runBy, argv, files: [] };
      if (invocation.kind === 'unreadable') {
        problems.push(`${who}: cannot tell which file it runs: ${invocation.reason}`);
        return { runBy: runner.runBy, argv, files: [] };
      }
      const workdir = runner.workingDirectory ?? stage.workdir;
      const script = path.posix.resolve(workdir, invocation.script);
      const resolved = resolveScript(script, files);
      if (resolved === undefined) {
        problems.push(
          `${who} runs ${invocation.script} (${script}), which no COPY --from=${buildStage.name ?? '?'} ` +
            `brings into target ${target}`,
        );
        return { runBy: runner.runBy, argv, files: [script] };
      }
      const needed = [resolved];
      const builtFrom = files.get(resolved) ?? '';
      if (invocation.sourceMaps && builtInStage.includes(`${builtFrom}.map`)) {
        needed.push(`${resolved}.map`);
      }
      const bundleName = path.posix.basename(builtFrom, '.js');
      if ((MIGRATION_READERS as readonly string[]).includes(bundleName)) {
        const compiledMigrations = builtInStage.filter(
          (file) => path.posix.dirname(file) === `${path.posix.dirname(builtFrom)}/migrations`,
        );
        needed.push(
          ...compiledMigrations.map((file) =>
            path.posix.join(path.posix.dirname(resolved), 'migrations', path.posix.basename(file)),
          ),
        );
      }
      for (const file of needed.slice(1)) {
        if (!files.has(file)) {
          problems.push(`${who} needs ${file} beside ${resolved}; no COPY brings it`);
        }
      }
      return { runBy: runner.runBy, argv, files: needed };
    });

    return { target, builtFiles: [...files.keys()].sort(), commands, problems };
  });
}
