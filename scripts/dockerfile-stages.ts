import path from 'node:path';

/** One COPY (or ADD) instruction of a stage. */
export interface DockerCopy {
  /** The stage (or image) named by `--from`; undefined when copying from the build context. */
  readonly from: string | undefined;
  /** The sources as written. With `--from` they are paths in that stage, relative to its root. */
  readonly sources: readonly string[];
  /** The destination, made absolute against the WORKDIR in effect at the instruction. */
  readonly destination: string;
  /**
   * Whether the destination is a directory the sources land in (it ends with `/`, or there are
   * several sources), rather than the path a single source file is copied to.
   */
  readonly intoDirectory: boolean;
}

/** A RUN instruction and the directory it runs in. */
export interface DockerRun {
  readonly command: string;
  readonly workdir: string;
}

/** One `FROM` stage of a Dockerfile, as far as an offline check needs it. */
export interface DockerStage {
  /** The `AS` name; undefined for an unnamed stage. */
  readonly name: string | undefined;
  /** What `FROM` names: an image, or an earlier stage. */
  readonly base: string;
  readonly copies: readonly DockerCopy[];
  readonly runs: readonly DockerRun[];
  /** The stage's own CMD (exec form; a shell form becomes `/bin/sh -c …`), not an inherited one. */
  readonly cmd: readonly string[] | undefined;
  /** The stage's own ENTRYPOINT, in the same forms as `cmd`. */
  readonly entrypoint: readonly string[] | undefined;
  /**
   * The WORKDIR in effect at the end of the stage, where its CMD runs: inherited from the stage it
   * is built `FROM`, `/` on an image whose own WORKDIR this parser cannot know.
   */
  readonly workdir: string;
}

/** `--name=value` flags before an instruction's arguments (`--from`, `--chown`, `--platform`…). */
function splitFlags(words: readonly string[]): { flags: Map<string, string>; rest: string[] } {
  const flags = new Map<string, string>();
  let index = 0;
  for (; index < words.length; index += 1) {
    const flag = /^--([a-z-]+)(?:=(.*))?$/.exec(words[index] ?? '');
    if (flag?.[1] === undefined) break;
    flags.set(flag[1], flag[2] ?? 'true');
  }
  return { flags, rest: words.slice(index) };
}

/** An instruction's arguments in JSON (exec) form, or undefined when they are in shell form. */
function jsonArguments(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
  } catch {
    // Docker runs a malformed JSON array in shell form; so does this parser.
  }
  return undefined;
}

/**
 * The Dockerfile's logical instructions: comments dropped, `\` continuations joined (comment
 * lines inside a continuation are dropped too, as Docker does).
 */
function instructions(text: string): { keyword: string; text: string }[] {
  const logical: { keyword: string; text: string }[] = [];
  let pending = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    const continued = line.endsWith('\\');
    pending += `${continued ? line.slice(0, -1).trimEnd() : line} `;
    if (continued) continue;
    const match = /^(\S+)\s*(.*)$/.exec(pending.trim());
    if (match?.[1] !== undefined) {
      logical.push({ keyword: match[1].toUpperCase(), text: (match[2] ?? '').trim() });
    }
    pending = '';
  }
  return logical;
}

/**
 * Parses a Dockerfile into its stages: what each is built from, what it copies (from the context
 * or from another stage), what it runs, its CMD/ENTRYPOINT and its WORKDIR. Enough to check the
 * images offline, without Docker: which targets exist, which built files a target carries, and
 * which file its command starts. Build arguments (`${ARG}`) are not expanded.
 */
export function parseDockerfileStages(text: string): DockerStage[] {
  interface MutableStage {
    name: string | undefined;
    base: string;
    copies: DockerCopy[];
    runs: DockerRun[];
    cmd: string[] | undefined;
    entrypoint: string[] | undefined;
    workdir: string;
  }
  const stages: MutableStage[] = [];
  for (const { keyword, text: args } of instructions(text)) {
    if (keyword === 'FROM') {
      const { rest } = splitFlags(args.split(/\s+/));
      const [base = '', as, name] = rest;
      const parent = stages.find((stage) => stage.name !== undefined && stage.name === base);
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        base,
        copies: [],
        runs: [],
        cmd: undefined,
        entrypoint: undefined,
        workdir: parent?.workdir ?? '/',
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) continue; // ARG before the first FROM
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = path.posix.resolve(stage.workdir, args);
        break;
      case 'COPY':
      case 'ADD': {
        const { flags, rest } = splitFlags(args.split(/\s+/));
        const joined = rest.join(' ');
        const words = jsonArguments(joined) ?? rest;
        const destination = words.at(-1);
        if (destination === undefined || words.length < 2) break;
        const sources = words.slice(0, -1);
        stage.copies.push({
          from: flags.get('from'),
          sources,
          destination: path.posix.resolve(stage.workdir, destination),
          intoDirectory: destination.endsWith('/') || sources.length > 1,
        });
        break;
      }
      case 'RUN':
        stage.runs.push({ command: args, workdir: stage.workdir });
        break;
      case 'CMD':
      case 'ENTRYPOINT': {
        const argv = jsonArguments(args) ?? ['/bin/sh', '-c', args];
        if (keyword === 'CMD') stage.cmd = argv;
        else stage.entrypoint = argv;
        break;
      }
      default:
        break;
    }
  }
  return stages;
}

/**
 * The stage named `name` and the stages it is built `FROM`, nearest first: what a target
 * inherits (files, CMD) comes from this chain.
 */
export function stageLineage(stages: readonly DockerStage[], name: string): DockerStage[] {
  const lineage: DockerStage[] = [];
  let current = stages.find((stage) => stage.name === name);
  while (current !== undefined && !lineage.includes(current)) {
    lineage.push(current);
    const base = current.base;
    current = stages.find((stage) => stage.name !== undefined && stage.name === base);
  }
  return lineage;
}
