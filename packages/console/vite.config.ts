import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by weunion at /console/ (history routing), so every asset URL starts there.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
});
