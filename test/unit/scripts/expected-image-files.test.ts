import { parseDockerfileStages, stageLineage } from '../../../scripts/dockerfile-stages';
import { expectedImageFiles } from '../../../scripts/images/expected-image-files';

/** A two-target Dockerfile shaped like the repository's, small enough to break one line at a time. */
const DOCKERFILE = `# syntax=docker/dockerfile:1
FROM node:24-bookworm-slim AS base
WORKDIR /app
COPY package.json ./

FROM base AS build
RUN npm ci && \\
    npm run build

FROM base AS runtime
ENV NODE_ENV=production

FROM runtime AS worker
COPY --from=build /app/dist/worker.js /app/dist/worker.js.map ./dist/
CMD ["node", "--enable-source-maps", "dist/worker.js"]

FROM runtime AS api
COPY --from=build /app/dist/api.js /app/dist/migrate.js ./dist/
COPY --from=build /app/dist/migrations ./dist/migrations
CMD ["node", "dist/api.js"]
`;

const BUILD_OUTPUTS = [
  'dist/api.js',
  'dist/api.js.map',
  'dist/migrate.js',
  'dist/migrate.js.map',
  'dist/migrations/20260101000000_first.js',
  'dist/worker.js',
  'dist/worker.js.map',
];

const problemsOf = (
  dockerfile: string,
  containers: Parameters<typeof expectedImageFiles>[0]['containers'],
) =>
  expectedImageFiles({ dockerfile, containers, buildOutputs: BUILD_OUTPUTS }).flatMap(
    (expectation) => expectation.problems,
  );

describe('parseDockerfileStages', () => {
  test('reads stages, their bases, WORKDIR inherited from a parent stage, joined continuation lines and COPY destinations', () => {
    const stages = parseDockerfileStages(DOCKERFILE);
    expect(stages.map((stage) => [stage.name, stage.base, stage.workdir])).toEqual([
      ['base', 'node:24-bookworm-slim', '/app'],
      ['build', 'base', '/app'],
      ['runtime', 'base', '/app'],
      ['worker', 'runtime', '/app'],
      ['api', 'runtime', '/app'],
    ]);
    expect(stages[1]?.runs).toEqual([{ command: 'npm ci && npm run build', workdir: '/app' }]);
    expect(stages[3]?.copies).toEqual([
      {
        from: 'build',
        sources: ['/app/dist/worker.js', '/app/dist/worker.js.map'],
        destination: '/app/dist',
        intoDirectory: true,
      },
    ]);
    expect(stages[3]?.cmd).toEqual(['node', '--enable-source-maps', 'dist/worker.js']);
    expect(stageLineage(stages, 'api').map((stage) => stage.name)).toEqual([
      'api',
      'runtime',
      'base',
    ]);
  });

  test('reads flags before COPY sources, the JSON form, a relative WORKDIR and a shell-form CMD', () => {
    const [stage] = parseDockerfileStages(
      [
        'FROM --platform=linux/amd64 node:24 AS only',
        'WORKDIR /srv',
        'WORKDIR app',
        'COPY --chown=node:node --from=build ["dist/a b.js", "./"]',
        'CMD node dist/a.js',
      ].join('\n'),
    );
    expect(stage).toMatchObject({
      name: 'only',
      workdir: '/srv/app',
      copies: [
        { from: 'build', sources: ['dist/a b.js'], destination: '/srv/app', intoDirectory: true },
      ],
      cmd: ['/bin/sh', '-c', 'node dist/a.js'],
    });
  });
});

describe('expectedImageFiles', () => {
  test('when every command runs a file its target copies from the build, then nothing is wrong and each command lists its files', () => {
    const [api, worker] = expectedImageFiles({
      dockerfile: DOCKERFILE,
      buildOutputs: BUILD_OUTPUTS,
      containers: [
        { runBy: 'container worker', target: 'worker' },
        {
          runBy: 'container migrate',
          target: 'api',
          command: ['node', 'dist/migrate.js', 'latest'],
        },
      ],
    });
    expect(api).toEqual({
      target: 'api',
      builtFiles: [
        '/app/dist/api.js',
        '/app/dist/migrate.js',
        '/app/dist/migrations/20260101000000_first.js',
      ],
      commands: [
        {
          runBy: 'CMD',
          argv: ['node', 'dist/api.js'],
          files: ['/app/dist/api.js', '/app/dist/migrations/20260101000000_first.js'],
        },
        {
          runBy: 'container migrate',
          argv: ['node', 'dist/migrate.js', 'latest'],
          files: ['/app/dist/migrate.js', '/app/dist/migrations/20260101000000_first.js'],
        },
      ],
      problems: [],
    });
    // --enable-source-maps: the map beside the bundle is needed too.
    expect(worker?.commands.map((command) => command.files)).toEqual([
      ['/app/dist/worker.js', '/app/dist/worker.js.map'],
      ['/app/dist/worker.js', '/app/dist/worker.js.map'],
    ]);
    expect(worker?.problems).toEqual([]);
  });

  test('when a task definition command names a file no COPY brings, then it is reported', () => {
    expect(
      problemsOf(DOCKERFILE, [
        { runBy: 'container reconciler', target: 'api', command: ['node', 'dist/reconciler.js'] },
      ]),
    ).toEqual([
      'container reconciler runs dist/reconciler.js (/app/dist/reconciler.js), which no COPY --from=build brings into target api',
    ]);
  });

  test("when the target's CMD names a file no COPY brings, then it is reported", () => {
    const broken = DOCKERFILE.replace(
      'CMD ["node", "dist/api.js"]',
      'CMD ["node", "dist/server.js"]',
    );
    expect(problemsOf(broken, [{ runBy: 'container api', target: 'api' }])).toEqual([
      expect.stringMatching(/^the CMD of target api runs dist\/server\.js/),
      expect.stringMatching(/^container api runs dist\/server\.js/),
    ]);
  });

  test('when a working directory moves the command away from the copied files, then it is reported', () => {
    expect(
      problemsOf(DOCKERFILE, [{ runBy: 'container api', target: 'api', workingDirectory: '/srv' }]),
    ).toEqual([
      expect.stringMatching(/^container api runs dist\/api\.js \(\/srv\/dist\/api\.js\)/),
    ]);
  });

  test('when a COPY --from=build names a file the build does not write, then it is reported', () => {
    const broken = DOCKERFILE.replace('/app/dist/worker.js.map', '/app/dist/worker.cjs.map');
    expect(problemsOf(broken, [{ runBy: 'container worker', target: 'worker' }])).toEqual([
      'target worker: COPY --from=build /app/dist/worker.cjs.map brings nothing npm run build writes',
      'the CMD of target worker needs /app/dist/worker.js.map beside /app/dist/worker.js; no COPY brings it',
      'container worker needs /app/dist/worker.js.map beside /app/dist/worker.js; no COPY brings it',
    ]);
  });

  test('when the migration runner is copied without its migrations, then the missing migration is reported', () => {
    const broken = DOCKERFILE.replace(
      'COPY --from=build /app/dist/migrations ./dist/migrations\n',
      '',
    );
    expect(
      problemsOf(broken, [
        { runBy: 'container migrate', target: 'api', command: ['node', 'dist/migrate.js'] },
      ]),
    ).toContain(
      'container migrate needs /app/dist/migrations/20260101000000_first.js beside /app/dist/migrate.js; no COPY brings it',
    );
  });

  test('a glob COPY brings the files it matches', () => {
    const globbed = DOCKERFILE.replace(
      'COPY --from=build /app/dist/worker.js /app/dist/worker.js.map ./dist/',
      'COPY --from=build /app/dist/worker.* ./dist/',
    );
    expect(problemsOf(globbed, [{ runBy: 'container worker', target: 'worker' }])).toEqual([]);
  });

  test('when a container names a target the Dockerfile lacks, or no stage runs the build, then it is reported', () => {
    expect(problemsOf(DOCKERFILE, [{ runBy: 'container x', target: 'consumer' }])).toEqual([
      'the Dockerfile has no stage named consumer',
    ]);
    expect(
      problemsOf(DOCKERFILE.replace('npm run build', 'npm run compile'), [
        { runBy: 'container api', target: 'api' },
      ]),
    ).toEqual(['no stage of the Dockerfile runs npm run build']);
  });

  test('a command that is not node is reported as unreadable; node -e needs no file', () => {
    expect(
      problemsOf(DOCKERFILE, [
        { runBy: 'container shell', target: 'api', command: ['sh', '-c', 'node dist/api.js'] },
        { runBy: 'container probe', target: 'api', command: ['node', '-e', 'process.exit(0)'] },
      ]),
    ).toEqual([
      'container shell: cannot tell which file it runs: it does not run node (sh -c node dist/api.js)',
    ]);
  });
});
