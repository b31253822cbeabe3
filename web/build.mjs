// Bundle the client into dist/: one script (with mediasoup-client), the end-to-end
// encryption's worker, the page and its style;
// and swagger-ui's files, so that the API's /docs page loads nothing from another origin.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';

await mkdir('dist/assets/swagger-ui', { recursive: true });
await build({
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: true,
  outfile: 'dist/assets/app.js',
  logLevel: 'warning',
});
// The end-to-end encryption's frame transforms run in a worker of their own.
await build({
  entryPoints: ['src/e2ee/worker.js'],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: true,
  outfile: 'dist/assets/e2ee-worker.js',
  logLevel: 'warning',
});
await copyFile('src/index.html', 'dist/index.html');
await copyFile('src/style.css', 'dist/assets/style.css');
for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
  await copyFile(`node_modules/swagger-ui-dist/${name}`, `dist/assets/swagger-ui/${name}`);
}
