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
$_ADDONLANG['admin_check'] = 'Связь с плагином';
$_ADDONLANG['admin_check_ok'] = 'отвечает';
$_ADDONLANG['admin_check_degraded'] = 'отвечает, но требует внимания';
$_ADDONLANG['admin_check_down'] = 'нет исправного ответа: события ждут в очереди';
$_ADDONLANG['admin_check_secrets'] = 'Проверяется только адрес. Секреты проверяются при использовании: неверный секрет вебхуков появится ниже как HTTP 401 при следующем событии; при неверном секрете SSO ссылка в администрирование и вкладка бонусов отвечают 401.';
$_ADDONLANG['admin_tier_mode'] = 'Способ скидки уровня';
$_ADDONLANG['admin_tier_mode_note'] = 'должен совпадать с tier_discount_method плагина (настройки программы в его администрировании); по умолчанию у обоих invoice_line';
