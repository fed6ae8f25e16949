import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

/** All dashboard JavaScript, gzipped, uPlot included (issue 6). test/dashboard/budget.test.ts enforces it too. */
export const JS_BUDGET_GZIP = 80 * 1024

/** Prints what the browser downloads, and fails the build over the JavaScript budget. */
function sizeReport(): Plugin {
  return {
    name: 'skaits-size-report',
    apply: 'build',
    generateBundle(_options, bundle) {
      let js = 0
      let css = 0
      for (const file of Object.values(bundle)) {
        const body = file.type === 'chunk' ? file.code : file.source
        const gz = gzipSync(typeof body === 'string' ? Buffer.from(body) : body, { level: 9 }).length
        if (file.fileName.endsWith('.js')) js += gz
        else if (file.fileName.endsWith('.css')) css += gz
      }
      const line = `dashboard JS ${(js / 1024).toFixed(1)} KiB gzip (budget ${JS_BUDGET_GZIP / 1024} KiB), CSS ${(css / 1024).toFixed(1)} KiB gzip`
      if (js > JS_BUDGET_GZIP) this.error(`${line}: over budget`)
      console.log(line)
    },
  }
}

/**
 * uPlot is a chunk of its own, imported when the first chart is drawn; a modulepreload link
 * fetches it with the main file, before the server is busy answering the first queries.
 */
function preloadLazyChunks(): Plugin {
  return {
    name: 'skaits-preload-lazy-chunks',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        return Object.values(ctx.bundle ?? {})
          .filter((f) => f.type === 'chunk' && f.isDynamicEntry)
          .map((f) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `/${f.fileName}` }, injectTo: 'head' as const }))
      },
    },
  }
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  plugins: [sizeReport(), preloadLazyChunks()],
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    // The CSP allows data: images only; nothing else may be inlined as a data: URL.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
})
