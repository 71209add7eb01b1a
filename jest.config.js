/**
 * Tests run the TypeScript sources through SWC; `npm run typecheck` is the type gate.
 * `npm test` runs unit and integration tests (SQLite, or MariaDB with TEST_DATABASE_URL);
 * `npm run test:browser` drives Debian's Chromium and needs /usr/bin/chromium.
 * `npm run test:galera` starts a 3-node MariaDB Galera cluster and runs test/galera against it.
 */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
};

module.exports = {
  testTimeout: 60000,
  // The real-database suites are heavy on a 2-core machine; two workers keep MariaDB busy
  // without starving the servers under test.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'default', testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // Needs the 3-node cluster `npm run test:galera` starts (GALERA_ROOT); never part of `npm test`.
    { ...common, displayName: 'galera', testMatch: ['<rootDir>/test/galera/**/*.test.ts'] },
  ],
};
