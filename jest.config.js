/**
 * One jest run for everything the README promises. Tests are grouped by what they hit:
 * test/unit (pure logic; a few open loopback servers of their own), test/integration (real
 * PostgreSQL or PGlite, the local SQS server, the local user pool, real HTTP servers on port 0),
 * test/infra (CDK synth + assertions), test/e2e (whole pipeline).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  transform: {
    // import() stays a native dynamic import (run by jest under --experimental-vm-modules), so
    // an ES-module-only package such as fauxqs can be loaded from CommonJS-compiled tests.
    '^.+\\.ts$': ['@swc/jest', { module: { type: 'commonjs', ignoreDynamic: true } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The image tests need the images built first: `npm run test:images` (jest.images.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/images/'],
  // Stryker's sandbox copies the tree, and `npm run synth` stages the image's build context
  // (package.json included) into cdk.out/: jest must not see either as a second copy of modules.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/', '<rootDir>/reports/', '<rootDir>/cdk.out/'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/jest-setup.ts'],
  // Two cores: one worker per core; most suites wait on I/O, not CPU.
  maxWorkers: 2,
  testTimeout: 30_000,
};
