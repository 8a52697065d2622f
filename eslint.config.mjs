// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Entry points import the shared contract module, never each other. */
const boundary = (self, others, share = 'contract/') => ({
  files: [`${self}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: others.map((other) => ({
          group: [`**/${other}`, `**/${other}/**`],
          message: `${self}/ must not import ${other}/: share code through ${share}.`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      'dist/',
      '.data/',
      'coverage/',
      'bench/results/',
      '.stryker-tmp/',
      'reports/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': [
        'error',
        { 'ts-ignore': true, 'ts-expect-error': 'allow-with-description' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.object.name=/^(describe|it|test)$/][callee.property.name=/^(only|skip)$/]',
          message: 'Focused or skipped tests must not be committed.',
        },
      ],
    },
  },
  boundary('api', ['consumer', 'producer', 'reconciler', 'stacks']),
  boundary('consumer', ['api', 'producer', 'stacks']),
  boundary('producer', ['api', 'consumer', 'stacks']),
  boundary('contract', ['api', 'consumer', 'producer', 'reconciler', 'stacks']),
  boundary('reconciler', ['consumer', 'producer', 'stacks']),
  // Tooling shares fixtures through fixtures/ and scripts/local/, never the test tree.
  boundary('scripts', ['test'], 'fixtures/ or scripts/local/'),
  boundary('bench', ['test'], 'fixtures/ or scripts/local/'),
  boundary('fixtures', ['test'], 'fixtures/ or scripts/local/'),
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
