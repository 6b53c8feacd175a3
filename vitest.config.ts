import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['ts/**/*.test.ts', 'audit/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: process.env.CI ? { json: 'out/vitest-report.json' } : undefined,
  },
});
