/**
 * The tests `npm run test:mutation` runs against each mutant: the unit tests of the mutated
 * folders, plus the queue tests that drive the consumer's receive loops against the local SQS
 * server. The bundle test is left out: it runs the code in a child process, where no mutant lives.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/test/unit/contract/**/*.test.ts',
    '<rootDir>/test/unit/producer/**/*.test.ts',
    '<rootDir>/test/unit/consumer/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/producer/bundle.test.ts'],
};
