import { defineDictionary } from './dictionary.ts';

export const merges = defineDictionary({
  en: {
    'merges.description':
      'Pairs of people who look like one person, found when WeChat sent a unionid that already belongs to someone else.',
    'merges.empty': 'No open suggestions.',
    'merges.reason.unionid_conflict': ({ unionid, app }) =>
      `WeChat said ${app} login belongs to unionid ${unionid}, which another person already has.`,
    'merges.reason.other': ({ reason }) => `Reason: ${reason}`,
    'merges.reason.import_unionid_conflict': ({ unionid }) =>
      `An import gave unionid ${unionid} to this person, but another person already has it (two accounts in the old system).`,
    'merges.reason.import_openid_conflict': ({ app }) => `An import gave this person a ${app} openid that another person already has.`,
    'merges.reason.import_phone_conflict': 'An import gave this person a verified phone number that another person already has.',
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
    'merges.reason.import_unionid_conflict': ({ unionid }) =>
      `导入时此用户带有 unionid ${unionid}，但它已属于另一个用户（原系统中的两个账号）。`,
    'merges.reason.import_openid_conflict': ({ app }) => `导入时此用户带有 ${app} 的 openid，但它已属于另一个用户。`,
    'merges.reason.import_phone_conflict': '导入时此用户带有已验证的手机号，但它已属于另一个用户。',
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
