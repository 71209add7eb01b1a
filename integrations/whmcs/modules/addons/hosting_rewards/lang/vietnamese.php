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
$_ADDONLANG['admin_check'] = 'Kết nối tới plugin';
$_ADDONLANG['admin_check_ok'] = 'đang phản hồi';
$_ADDONLANG['admin_check_degraded'] = 'đang phản hồi, nhưng cần chú ý';
$_ADDONLANG['admin_check_down'] = 'không có phản hồi bình thường: sự kiện đang chờ trong hàng đợi';
$_ADDONLANG['admin_check_secrets'] = 'Chỉ kiểm tra địa chỉ. Các khóa bí mật được kiểm tra khi sử dụng: khóa webhook sai sẽ hiện bên dưới là HTTP 401 ở sự kiện tiếp theo; khóa SSO sai khiến liên kết quản trị và thẻ Phần thưởng trả về 401.';
$_ADDONLANG['admin_tier_mode'] = 'Cách giảm giá theo hạng';
$_ADDONLANG['admin_tier_mode_note'] = 'phải giống tier_discount_method của plugin (Cài đặt chương trình trong khu vực quản trị của nó); mặc định của cả hai là invoice_line';
