// Build: one bundle; the C++ nodes serve dist/index.html at "/", "/app", "/app/", "/dashboard" and
// "/dashboard/", and dist/assets/<file> at "/assets/<file>" (src/http/node_web.cpp).
// Dev: `npm run dev` proxies the node's API to CHRYSALIS_NODE (default the demo's client node), so
// the page is same-origin; the proxy drops the browser's Origin header, as a node serving its own
// page must accept that page's requests.
import { defineConfig, type ProxyOptions } from "vite";

const node = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.CHRYSALIS_NODE || "http://127.0.0.1:10000";
const toNode: ProxyOptions = {
  target: node,
  changeOrigin: true,
  configure: (proxy) => {
    proxy.on("proxyReq", (req) => req.removeHeader("origin"));
  },
};

export default defineConfig({
  base: "./",
  // Inside the bundle every URL is relative (chunks find each other from wherever they are). In
  // index.html the script and stylesheet are "/assets/…": the page is served at "/", "/app",
  // "/app/", "/dashboard" and "/dashboard/" but its files only at "/assets/<file>", and the
  // node's Content-Security-Policy (script-src 'self', base-uri 'none') allows neither an inline
  // script nor a <base> element to fix relative URLs up at "/app/".
  experimental: {
    renderBuiltUrl: (filename, { hostType }) => (hostType === "html" ? "/" + filename : { relative: true }),
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    target: "es2020",
    sourcemap: false,
    // The TON Connect manifest must stay a file that wallets can fetch, never a data: URL.
    assetsInlineLimit: (file: string) => (file.endsWith(".json") ? false : undefined),
    // TON Connect is a lazy chunk of its own, loaded on demand; it is larger than the default warning size.
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // Lazy chunks named after what they hold (the SDKs are loaded only when needed).
        chunkFileNames: (chunk) => {
          const ids = chunk.moduleIds ?? [];
          if (ids.some((id) => id.includes("@telegram-apps/"))) return "assets/telegram-sdk-[hash].js";
          if (ids.some((id) => id.includes("@tonconnect/ui"))) return "assets/tonconnect-ui-[hash].js";
          return "assets/[name]-[hash].js";
        },
      },
    },
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/v1": toNode, "/admin": toNode, "/stats": toNode, "/healthz": toNode },
  },
});
