// The knex CLI reads this file with a plain `require`. tsx lets that `require` load TypeScript,
// so the CLI uses the API's own database settings and migration list (scripts/knex-config.ts),
// and loads the TypeScript migrations, on any Node version.
require('tsx/cjs/api').register();

module.exports = () => require('./scripts/knex-config.ts').knexCliConfig();
