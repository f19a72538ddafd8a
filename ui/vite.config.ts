import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// The Tauri shell loads http://localhost:5173 in dev (src-tauri/tauri.conf.json build.devUrl)
// and embeds dist/ in production builds.
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    // WebKitGTK 2.40+ on Linux, WebView2 on Windows, WKWebView on macOS 11+.
    target: ['es2021', 'safari14', 'chrome105'],
    outDir: 'dist',
    emptyOutDir: true,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
    // Above the polling ceiling of src/test-setup.ts, so a slow view fails as "not found".
    testTimeout: 30_000,
  },
});
