/**
 * `npm run test:images`: the built container images, run as the task definitions say. Run after
 * scripts/images/build-images.ts, which the npm script does first.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/images/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // One container set at a time: the tests share the images, a database and the local servers.
  maxWorkers: 1,
  testTimeout: 120_000,
};
