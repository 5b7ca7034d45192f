// The signed-in parts of the app frame that work without React (links, a form), loaded lazily
// by AppFrame.tsx in one chunk.
export { MainNav } from './MainNav.tsx';
export { UserMenu, UserMenuInNav } from './UserMenu.tsx';
