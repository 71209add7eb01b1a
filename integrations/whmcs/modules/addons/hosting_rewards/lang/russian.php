<?php
$_ADDONLANG['nav_label'] = 'Бонусы';
$_ADDONLANG['page_title'] = 'Бонусы';
$_ADDONLANG['open'] = 'Открыть бонусы';
$_ADDONLANG['intro'] = 'Ваши баллы, уровень и награды открываются в разделе бонусов.';
$_ADDONLANG['unavailable'] = 'Бонусы сейчас недоступны. Попробуйте позже.';
$_ADDONLANG['admin_open'] = 'Открыть администрирование бонусов';
$_ADDONLANG['admin_spool'] = 'События, ожидающие отправки';
$_ADDONLANG['admin_none'] = 'Администратор WHMCS не вошёл в систему.';
$_ADDONLANG['admin_failed'] = 'С ошибкой';
