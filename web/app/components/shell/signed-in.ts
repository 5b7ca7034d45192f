// The signed-in parts of the app frame, loaded lazily by AppFrame.tsx (one chunk for the three).
export { MainNav } from './MainNav.tsx';
export { TenantSwitcher } from './TenantSwitcher.tsx';
export { UserMenu } from './UserMenu.tsx';
