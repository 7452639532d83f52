/** 一次性登录密码与强制修改密码 (zh-CN, the source). */
export const credentialLoginZhCN = {
  // 设置新密码, after a sign-in with the one-time credential of an approved appeal
  'credential.title': '设置新密码',
  'credential.intro': '您使用短信中的一次性登录密码登录了账号。为保障账号安全，请先设置新密码，设置成功后将继续本次登录。',
  'credential.not_credential': '新密码也不能与一次性登录密码相同。',
  'credential.submit': '设置新密码并继续',
  'credential.after': '设置成功后，一次性登录密码即失效，其他设备和业务系统上的登录将全部退出。',
  'credential.invalid': '一次性登录密码已过期或已使用，不能再用它设置新密码。',
  'credential.invalid_help': '如果您记得原密码，可以点击“切换账号”用原密码登录；否则请通过“忘记密码”重新找回。',

  'credential.error.new_password_required': '请输入新密码',
  'credential.error.confirm_required': '请再次输入新密码',
  'credential.error.same_as_credential': '新密码不能与一次性登录密码相同',
} as const;
