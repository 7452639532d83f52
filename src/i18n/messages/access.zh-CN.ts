/** 业务系统访问策略：实名认证、选择代办单位 (zh-CN, the source). */
export const accessZhCN = {
  // The login page, when a business system accepts one kind of account
  'access.kind.only': '“{client}”仅接受{kind}登录。',
  'access.kind.refused': '您当前登录的是{current}，“{client}”仅接受{kind}登录。请使用{kind}登录。',
  'access.switch.back': '返回上一步',

  // Shared by the pages
  'access.account': '当前账号：{loginName}（{kind}）',
  'access.back_to_client': '返回业务系统',
  'access.switch_account': '切换账号',
  'access.actions': '其他操作',

  // Real-name verification required
  'access.real_name.title': '需要完成实名认证',
  'access.real_name.intro': '该系统仅接受已通过实名认证的账号登录。完成认证后，本次登录将继续进行。',
  'access.real_name.steps': '完成实名认证',
  'access.real_name.verify_title': '立即认证',
  'access.real_name.verify_hint': '使用您已保存的信息，立即重新进行自动实名认证。',
  'access.real_name.complete_title': '完善信息',
  'access.real_name.complete_hint_natural': '在“我的信息”中填写或更正姓名和证件信息，保存后系统自动认证。',
  'access.real_name.complete_hint_legal': '在“我的信息”中填写或更正单位名称、统一社会信用代码和法定代表人信息，保存后系统自动认证。',
  'access.real_name.upload_title': '上传材料',
  'access.real_name.upload_hint_natural': '自动认证无法通过时，上传本人证件正面、背面照片，申请人工审核。',
  'access.real_name.upload_hint_legal': '自动认证无法通过时，上传营业执照、法定代表人证件和授权书，申请人工审核。',
  'access.real_name.portal_note': '“完善信息”和“上传材料”在“我的信息”中办理，办理后点击页面上的“返回继续登录”即可回到这里。',
  'access.real_name.pending': '您提交的材料正在人工审核。审核通过后，点击“继续登录”即可完成本次登录；也可以先返回业务系统，审核通过后重新登录。',
  'access.real_name.rejected': '人工审核未通过。请根据原因更正信息后重新认证，或重新上传材料。',
  'access.real_name.continue': '继续登录',

  // Choosing the unit to act for
  'access.entity.title': '选择代办单位',
  'access.entity.intro': '该系统需要您以单位代办人的身份办理。您获得了以下单位的代办授权，请选择本次代办的单位：',
  'access.entity.legend': '代办单位',
  'access.entity.uscc': '统一社会信用代码：{uscc}',
  'access.entity.registration_number': '单位注册号码：{number}',
  'access.entity.submit': '确认并继续',
  'access.entity.again': '每次登录该系统时都可以重新选择。',
  'access.entity.error.choose': '请选择要代办的单位',

  // Refusals
  'access.refused.title': '无法登录该系统',
  'access.refused.no_authorization': '“{client}”需要以单位代办人的身份登录。您的账号目前没有任何单位对该系统的有效代办授权。',
  'access.refused.entity_not_authorized': '“{client}”要求代办统一社会信用代码为 {uscc} 的单位，您的账号没有该单位对该系统的有效代办授权。',
  'access.refused.entity_mismatch': '“{client}”要求以统一社会信用代码为 {uscc} 的单位登录，您登录的法人账号不是该单位。',
  'access.refused.what_title': '什么是代办人？',
  'access.refused.what': '代办人是经法人单位授权、代表该单位在业务系统中办理事项的自然人。授权由单位自行办理，可以授权全部或部分业务系统，也可以随时撤销。',
  'access.refused.how_title': '如何获得代办授权？',
  'access.refused.how': '请单位使用其法人账号登录本平台，在“在线办事 — 我的信息”中授权您的账号（登录名：{loginName}）代办该系统。授权后，重新从业务系统登录即可。',
  'access.refused.verified_only': '代办授权仅在您的账号已通过实名认证时有效。',
  'access.refused.not_verified': '您的账号尚未通过实名认证，已有的代办授权暂不生效。请先在“我的信息”中完成实名认证。',
  'access.refused.legal_hint': '如果您负责该单位的业务，也可以切换为该单位的法人账号登录。',
  'access.refused.mismatch_hint': '请切换为该单位的法人账号，或经该单位授权的代办人账号登录。',

  // My Information, reached from a sign-in
  'access.continue.text': '您正在登录业务系统。完善信息或上传材料后，请返回继续登录。',
  'access.continue.link': '返回继续登录',
} as const;
