// Vite build for DentalBridge static assets.
// Output goes to frontend/dist with stable (unhashed) names: Django's
// ManifestStaticFilesStorage adds content hashes at collectstatic time.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("./"),
  base: "./",
  publicDir: false,
  build: {
    outDir: here("./dist"),
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    manifest: false,
    modulePreload: false,
    // Never inline assets as data: URLs (keeps CSP img-src/font-src simple).
    assetsInlineLimit: 0,
    cssCodeSplit: true,
    // swagger-ui is one ~1.6 MB bundle; only the API docs page loads it.
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        app: here("./src/app.js"),
        "api-docs": here("./src/api-docs.js"),
      },
      output: {
        entryFileNames: "[name].js",
        chunkFileNames: "chunks/[name].js",
        assetFileNames: "[name][extname]",
      },
    },
  },
});
