/// <reference types="vitest/config" />
// Vite builds the web front end into ui/dist, which the Tauri shell embeds (frontendDist).
// Vitest runs the unit tests in happy-dom: no browser is downloaded or needed.
import { defineConfig } from 'vite';

export default defineConfig({
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: { outDir: 'dist', target: 'es2022', emptyOutDir: true },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
  },
});
