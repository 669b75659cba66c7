// The widget's CSS, applied inside each shadow root. Theme through the --pc-* custom properties
// (they inherit into the shadow tree): --pc-font --pc-accent --pc-bg --pc-fg --pc-radius --pc-border, and
// --pc-accent-fg (text on the accent, default: the background) --pc-error (error text, default: the text
// colour, marked by a bar). The defaults meet WCAG AA in light and dark themes as long as the accent
// contrasts with the background (a dark theme sets a light accent). Long words wrap at 320 px.

export const css = `
:host{all:initial;display:block;contain:content}
:host([hidden]){display:none}
.pc{--a:var(--pc-accent,#0b57d0);--bg:var(--pc-bg,#fff);--fg:var(--pc-fg,#1b1b1f);--r:var(--pc-radius,8px);--b:var(--pc-border,#6b6b75);
container:pc/inline-size;box-sizing:border-box;font:15px/1.5 var(--pc-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);
color:var(--fg);background:var(--bg);border:1px solid var(--b);border-radius:var(--r);padding:16px;text-align:start;min-width:0;
overflow-wrap:anywhere;hyphens:auto}
.pc *,.pc *::before,.pc *::after{box-sizing:inherit}
.pc-title{font-size:1.25em;margin:0 0 12px;line-height:1.3}
.pc-vh{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.pc-banner,.pc-note,.pc-contacts{margin:0 0 12px;padding:8px 12px;border-radius:var(--r);border:1px solid var(--b);border-inline-start:4px solid var(--a)}
.pc-banner{font-weight:600}
.pc-contacts h3{margin:0 0 4px;font-size:1em}.pc-contacts ul{margin:0;padding-inline-start:20px}
.pc-hint,.pc-desc,.pc-notice-text{font-size:.9em;margin:2px 0 0}
.pc-desc{display:block;font-weight:400}
.pc-pending{font-size:.9em;margin:4px 0 0;font-style:italic}
fieldset{border:0;margin:0 0 16px;padding:0;min-width:0}
legend{font-weight:600;padding:0;margin-bottom:8px}
.pc-matrix[disabled] td{background:color-mix(in srgb,var(--fg) 10%,var(--bg))}
.pc-table{border-collapse:collapse;width:100%;margin:0 0 12px}
.pc-group{text-align:start;font-weight:600;font-size:1.05em;padding:4px 0}
.pc-table th,.pc-table td{padding:8px;border-bottom:1px solid var(--b);vertical-align:top}
.pc-table thead th{text-align:center;font-weight:600;font-size:.9em}
.pc-table thead th:first-child{text-align:start}
.pc-table td{text-align:center}
.pc-topic{text-align:start;font-weight:400}
.pc-name{font-weight:600}
.pc-tag{display:inline-block;margin-inline-start:8px;padding:0 6px;font-size:.8em;font-weight:600;border:1px solid var(--b);border-radius:calc(var(--r)/2)}
.pc-details{margin-top:4px;font-size:.9em}
.pc-details summary{cursor:pointer;color:var(--a);text-decoration:underline;width:fit-content}
.pc-cell{display:inline-flex;align-items:center;gap:6px;cursor:pointer;min-height:24px}
.pc-ch{display:none}
input[type=checkbox]{width:20px;height:20px;margin:0;accent-color:var(--a);cursor:pointer}
input:disabled{cursor:not-allowed}
.pc-dnc{margin:0 0 16px}
.pc-switch{display:inline-flex;align-items:center;gap:10px;font:inherit;font-weight:600;color:var(--fg);background:none;border:0;padding:4px 0;cursor:pointer;text-align:start}
.pc-track{flex:none;position:relative;width:40px;height:22px;border-radius:11px;background:var(--b);transition:background .15s}
.pc-track::after{content:"";position:absolute;top:3px;left:3px;width:16px;height:16px;border-radius:50%;background:var(--bg);transition:transform .15s}
.pc-switch[aria-checked=true] .pc-track{background:var(--a)}
.pc-switch[aria-checked=true] .pc-track::after{transform:translateX(18px)}
.pc-field{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;margin:0 0 8px}
.pc-field label{min-width:10em}
.pc-select{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--b);border-radius:calc(var(--r)/2);padding:4px 8px;min-height:32px;max-width:100%}
.pc-consent{display:flex;gap:10px;align-items:flex-start;margin:0 0 12px}
.pc-consent input{margin-top:2px;flex:none}
.pc-actions{display:flex;gap:12px;align-items:center;flex-wrap:wrap}
.pc-btn{font:inherit;font-weight:600;color:var(--pc-accent-fg,var(--bg));background:var(--a);border:1px solid var(--a);border-radius:var(--r);padding:8px 20px;min-height:40px;cursor:pointer}
.pc-btn[aria-disabled=true]{cursor:progress}
.pc-secondary{color:var(--a);background:var(--bg)}
.pc-ces{margin:16px 0 0}.pc-scale{display:flex;flex-wrap:wrap;gap:6px}.pc-scale .pc-btn{min-width:44px;padding-inline:0}
.pc-footer{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin-top:8px}
.pc-status{margin:0;min-height:1.5em}
.pc-status[data-state=ok]{font-weight:600}
.pc-status[data-state=error]{color:var(--pc-error,var(--fg));font-weight:600;border-inline-start:4px solid var(--pc-error,#d93025);padding-inline-start:8px}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.pc-switch:focus-visible .pc-track{outline:3px solid var(--a);outline-offset:2px}
@media (prefers-reduced-motion:reduce){.pc-track,.pc-track::after{transition:none}}
@container pc (max-width:480px){
.pc-table,.pc-table tbody,.pc-table tr,.pc-table th,.pc-table td,.pc-table caption{display:block;width:auto}
.pc-table thead,.pc-table .pc-na{display:none}
.pc-table tr{border-bottom:1px solid var(--b);padding:8px 0}
.pc-table th,.pc-table td{border:0;padding:2px 0;text-align:start}
.pc-table td{display:inline-block;margin-inline-end:16px}
.pc-ch{display:inline}
.pc-field label{min-width:0;width:100%}
}
`;
