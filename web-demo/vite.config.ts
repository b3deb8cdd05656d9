import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Two pages: the dashboard, and the exactly-once pipeline scenario that the e2e tests drive.
export default defineConfig({
  build: {
    target: 'es2022', // bigint literals and top-level await in the SDK
    rollupOptions: {
      input: {
        dashboard: resolve(import.meta.dirname, 'index.html'),
        pipeline: resolve(import.meta.dirname, 'pipeline.html'),
      },
    },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
