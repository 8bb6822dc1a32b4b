/** Inline SVG icons (no icon font, nothing fetched): decorative, so hidden from screen readers. */
import type { ReactNode } from 'react';

function Icon({ children }: { children: ReactNode }): ReactNode {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

const stroke = { fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round', strokeLinejoin: 'round' } as const;

export const IconClose = () => (
  <Icon>
    <path {...stroke} d="M6 6l12 12M18 6L6 18" />
  </Icon>
);
export const IconCopy = () => (
  <Icon>
    <rect {...stroke} x="9" y="9" width="11" height="11" rx="2" />
    <path {...stroke} d="M5 15V5a2 2 0 0 1 2-2h8" />
  </Icon>
);
export const IconCheck = () => (
  <Icon>
    <path {...stroke} d="M5 12l5 5 9-10" />
  </Icon>
);
export const IconChart = () => (
  <Icon>
    <path {...stroke} d="M4 20V10M10 20V4M16 20v-7M22 20H2" />
  </Icon>
);
export const IconPeople = () => (
  <Icon>
    <circle {...stroke} cx="9" cy="8" r="3.5" />
    <path {...stroke} d="M2.5 20c.8-3.5 3.4-5.5 6.5-5.5s5.7 2 6.5 5.5M16 4.5a3.5 3.5 0 0 1 0 7M18 14.5c1.8.6 3 2.4 3.5 5.5" />
  </Icon>
);
export const IconMerge = () => (
  <Icon>
    <path {...stroke} d="M6 3v6a6 6 0 0 0 6 6h6M6 21v-4M15 12l3 3-3 3" />
  </Icon>
);
export const IconList = () => (
  <Icon>
    <path {...stroke} d="M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01" />
  </Icon>
);
export const IconApp = () => (
  <Icon>
    <rect {...stroke} x="3" y="3" width="7" height="7" rx="1.5" />
    <rect {...stroke} x="14" y="3" width="7" height="7" rx="1.5" />
    <rect {...stroke} x="3" y="14" width="7" height="7" rx="1.5" />
    <rect {...stroke} x="14" y="14" width="7" height="7" rx="1.5" />
  </Icon>
);
export const IconKey = () => (
  <Icon>
    <circle {...stroke} cx="8" cy="15" r="4" />
    <path {...stroke} d="M11 12l9-9M17 6l3 3" />
  </Icon>
);
export const IconFlask = () => (
  <Icon>
    <path {...stroke} d="M9 3h6M10 3v6L4.5 19a1.5 1.5 0 0 0 1.3 2h12.4a1.5 1.5 0 0 0 1.3-2L14 9V3" />
  </Icon>
);
export const IconUser = () => (
  <Icon>
    <circle {...stroke} cx="12" cy="8" r="4" />
    <path {...stroke} d="M4 21c1-4 4-6 8-6s7 2 8 6" />
  </Icon>
);
export const IconSearch = () => (
  <Icon>
    <circle {...stroke} cx="11" cy="11" r="7" />
    <path {...stroke} d="M20 20l-4-4" />
  </Icon>
);
export const IconMenu = () => (
  <Icon>
    <path {...stroke} d="M3 6h18M3 12h18M3 18h18" />
  </Icon>
);
export const IconSend = () => (
  <Icon>
    <path {...stroke} d="M22 2L11 13M22 2l-7 20-4-9-9-4 20-7z" />
  </Icon>
);
