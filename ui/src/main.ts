import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { backendContext, tauriBackend } from './lib/backend';
import { applyTheme, loadTheme } from './lib/theme';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

applyTheme(loadTheme());

export default mount(App, { target, context: backendContext(tauriBackend) });
