/** 服务事项 (zh-CN, the source). */
export const serviceItemsZhCN = {
  'services.title': '服务事项',
  'services.intro': '按用户类型查看可办理的业务系统，点击“办理入口”进入；各系统使用统一身份认证登录，无需另行注册。',
  'services.by_user': '按用户',
  'services.kind.legal': '法人单位',
  'services.kind.natural': '自然人',
  'services.hint.legal': '企业、社会组织、事业单位等法人单位，请在登录页选择“法人登录”窗口登录后办理。',
  'services.hint.natural': '个人请在登录页选择“自然人登录”窗口登录。标注“需经单位授权代办”的系统，须由法人单位在“我的信息”中将您指定为代办人。',
  'services.requires_real_name': '需完成实名认证',
  'services.agents_only': '需经单位授权代办',
  'services.entry': '办理入口',
  'services.none': '暂无此类用户可办理的业务系统。',
  'services.more_help': '更多常见问题',
} as const;
