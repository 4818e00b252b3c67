// One vite project for every page of the assistant. Each page is an entry in `pages` below:
// an HTML file at the project root (its script under src/<name>/). Plain-script entries (no
// module loader on the host page, e.g. the embed launcher) go in `scripts` and are emitted under
// a fixed name. Build output: dist/ (git-ignored), served by the Rasa web channel
// (bot/channels/web.py) under /webhooks/web/.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = import.meta.dirname;

// Pages (HTML entries). Staff pages (console, workbench, dashboard) are added here.
const pages = {
  widget: resolve(root, 'widget.html'),
};

// Classic scripts for other sites' pages: name -> source; emitted as dist/<name>.js.
const scripts = {
  'widget-launcher': resolve(root, 'src/launcher/launcher.js'),
  // The staff dashboard's ECharts (served by the case store at /staff/static/dist/, a module script).
  'dashboard-charts': resolve(root, 'src/dashboard/charts.js'),
};
const scriptFiles = { 'widget-launcher': 'widget.js', 'dashboard-charts': 'dashboard-charts.js' };

export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2019',
    sourcemap: false,
    chunkSizeWarningLimit: 800, // the dashboard's ECharts bundle is one file (~540 kB)
    rollupOptions: {
      input: { ...pages, ...scripts },
      output: {
        entryFileNames: (chunk) => scriptFiles[chunk.name] || 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
