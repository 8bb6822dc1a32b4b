import { defineDictionary } from './dictionary.ts';

export const merges = defineDictionary({
  en: {
    'merges.description':
      'Pairs of people who look like one person, found when WeChat sent a unionid that already belongs to someone else.',
    'merges.empty': 'No open suggestions.',
    'merges.reason.unionid_conflict': ({ unionid, app }) =>
      `WeChat said ${app} login belongs to unionid ${unionid}, which another person already has.`,
    'merges.reason.other': ({ reason }) => `Reason: ${reason}`,
    'merges.first': 'Person with the new login',
    'merges.second': 'Person who has the unionid',
    'merges.preview': 'Preview & merge',
    'merges.previewLabel': ({ source, target }) => `Preview merging ${source} into ${target}`,
    'merges.dismiss': 'Dismiss',
    'merges.dismissTitle': 'Dismiss this suggestion?',
    'merges.dismissBody': ({ a, b }) => `${a} and ${b} stay separate people; the suggestion is closed and not offered again.`,
    'merges.dismissed': 'Suggestion dismissed.',
    'merges.found': ({ when }) => `Suggested ${when}`,
  },
  'zh-CN': {
    'merges.description': '看起来是同一个人的两个用户：微信返回的 unionid 已经属于另一个用户时产生。',
    'merges.empty': '没有待处理的合并建议。',
    'merges.reason.unionid_conflict': ({ unionid, app }) => `微信表示 ${app} 的这次登录属于 unionid ${unionid}，而它已属于另一个用户。`,
    'merges.reason.other': ({ reason }) => `原因：${reason}`,
    'merges.first': '新登录的用户',
    'merges.second': '持有该 unionid 的用户',
    'merges.preview': '预览并合并',
    'merges.previewLabel': ({ source, target }) => `预览将 ${source} 合并到 ${target}`,
    'merges.dismiss': '忽略',
    'merges.dismissTitle': '忽略这条建议？',
    'merges.dismissBody': ({ a, b }) => `${a} 和 ${b} 将保持为两个用户；这条建议会关闭且不再出现。`,
    'merges.dismissed': '已忽略该建议。',
    'merges.found': ({ when }) => `建议于 ${when}`,
  },
});
