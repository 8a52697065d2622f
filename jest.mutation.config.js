/**
 * The tests `npm run test:mutation` runs against each mutant: the unit tests of the mutated
 * folders, plus the queue tests that drive the consumer's receive loops against the local SQS
 * server, and the registration client's loopback tests. The bundle test is left out: it runs the
 * code in a child process, where no mutant lives.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/test/unit/contract/**/*.test.ts',
    '<rootDir>/test/unit/producer/**/*.test.ts',
    '<rootDir>/test/unit/consumer/**/*.test.ts',
    // The client's status classification and header handling, against a loopback stub API: fast,
    // and cheaper than repeating them as unit tests. (Its TLS and size tests are too slow to run
    // once per mutant.)
    '<rootDir>/test/integration/contract/registration-client.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/producer/bundle.test.ts'],
};
