<?php
$_ADDONLANG['nav_label'] = 'Phần thưởng';
$_ADDONLANG['page_title'] = 'Phần thưởng';
$_ADDONLANG['open'] = 'Mở Phần thưởng';
$_ADDONLANG['intro'] = 'Điểm, hạng và phần thưởng của bạn được mở trong khu vực phần thưởng.';
$_ADDONLANG['unavailable'] = 'Phần thưởng hiện không khả dụng. Vui lòng thử lại sau.';
$_ADDONLANG['admin_open'] = 'Mở khu vực quản trị Phần thưởng';
$_ADDONLANG['admin_spool'] = 'Sự kiện đang chờ gửi';
$_ADDONLANG['admin_none'] = 'Không có quản trị viên WHMCS nào đăng nhập.';
$_ADDONLANG['admin_failed'] = 'Thất bại';
