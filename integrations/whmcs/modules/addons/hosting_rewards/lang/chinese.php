<?php
$_ADDONLANG['nav_label'] = '奖励';
$_ADDONLANG['page_title'] = '奖励';
$_ADDONLANG['open'] = '打开奖励';
$_ADDONLANG['intro'] = '您的积分、等级和奖励在奖励区域中打开。';
$_ADDONLANG['unavailable'] = '奖励暂时不可用，请稍后再试。';
$_ADDONLANG['admin_open'] = '打开奖励管理区';
$_ADDONLANG['admin_spool'] = '等待发送的事件';
$_ADDONLANG['admin_none'] = '没有已登录的 WHMCS 管理员。';
$_ADDONLANG['admin_failed'] = '失败';
$_ADDONLANG['admin_check'] = '与插件的连接';
$_ADDONLANG['admin_check_ok'] = '正常响应';
$_ADDONLANG['admin_check_degraded'] = '有响应，但需要处理';
$_ADDONLANG['admin_check_down'] = '没有正常响应：事件在队列中等待';
$_ADDONLANG['admin_check_secrets'] = '这里只检查地址。密钥在使用时检查：Webhook 密钥错误时，下一个事件会在下方显示 HTTP 401；SSO 密钥错误时，管理链接和奖励页面会返回 401。';
$_ADDONLANG['admin_tier_mode'] = '等级折扣方式';
$_ADDONLANG['admin_tier_mode_note'] = '必须与插件的 tier_discount_method 相同（插件管理区的计划设置）；两者默认都是 invoice_line';
