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
