import { defineDictionary } from './dictionary.ts';

/** An application's web origins: the sites that may embed weunion's login widget or browser SDK. */
export const webOrigins = defineDictionary({
  en: {
    'webOrigins.title': 'Web origins',
    'webOrigins.help':
      'Pages on these origins may embed <weunion-login> or use the browser SDK for this application, and people may be sent back to them after logging in. The origins of the redirect URIs count already; add the others here.',
    'webOrigins.derived': 'From the redirect URIs',
    'webOrigins.derivedNone': 'None (no http or https redirect URI).',
    'webOrigins.explicit': 'Other origins, one per line',
    'webOrigins.explicit.help': 'Scheme, host and port only, e.g. https://shop.example.com or http://localhost:5173. No path.',
    'webOrigins.save': 'Save web origins',
    'webOrigins.saved': 'Web origins saved.',
  },
  'zh-CN': {
    'webOrigins.title': '网页来源（Web origins）',
    'webOrigins.help':
      '这些来源上的网页可以为本应用嵌入 <weunion-login> 登录组件或使用浏览器 SDK，登录后也可以跳转回这些来源。回调地址所在的来源已自动包含，其他来源请在这里添加。',
    'webOrigins.derived': '来自回调地址',
    'webOrigins.derivedNone': '无（没有 http 或 https 回调地址）。',
    'webOrigins.explicit': '其他来源，每行一个',
    'webOrigins.explicit.help': '只写协议、主机和端口，例如 https://shop.example.com 或 http://localhost:5173，不要带路径。',
    'webOrigins.save': '保存网页来源',
    'webOrigins.saved': '网页来源已保存。',
  },
});
