// Light, dark, or whatever the OS says. The choice is kept in localStorage and applied as
// `data-theme` on <html>; app.css defines both palettes.

export type Theme = 'system' | 'light' | 'dark';
const KEY = 'tollgate.theme';

export function loadTheme(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // No storage: the choice lasts for this session only.
  }
}

/** The next theme of the header's toggle: system → light → dark → system. */
export function nextTheme(theme: Theme): Theme {
  return theme === 'system' ? 'light' : theme === 'light' ? 'dark' : 'system';
}
