"""The app's words in Chinese (default) and English: one dictionary, looked up by key.

Metric names come from the catalogue (``zh``) in Chinese and from their ids in English; a key
missing from a language falls back to Chinese, then to the key itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from jinpai.metrics.catalogue import CATALOGUE

LANGS = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "app": "金牌客服",
        "login": "登录",
        "logout": "退出",
        "username": "用户名",
        "password": "密码",
        "login_failed": "用户名或密码错误",
        "login_throttled": "失败次数过多，请 15 分钟后再试",
        "dashboard": "每日数据",
        "daily_sheet": "客服部每日数据实时表",
        "agents": "客服排名",
        "import": "导入数据",
        "scorecard": "绩效考核",
        "pay": "薪资",
        "grades": "客服等级",
        "settings": "设置",
        "today": "今日",
        "yesterday": "昨日",
        "agent": "客服",
        "name": "姓名",
        "role": "岗位",
        "shop_total": "全店",
        "trends": "近30天趋势",
        "heatmap": "咨询量：星期 × 小时",
        "month": "月份",
        "period": "期间",
        "as_of": "数据截至",
        "figures": "本期指标",
        "metric": "指标",
        "value": "数值",
        "rows_behind": "明细行",
        "click_figure": "点击数值查看明细",
        "file": "文件",
        "table": "数据表",
        "columns_map": "列映射 (标准列=文件列,...)",
        "time_format": "时间格式 (strptime)",
        "upload": "上传并导入",
        "read": "读取",
        "stored": "新增",
        "updated": "更新",
        "quarantined": "隔离",
        "quarantine": "隔离行",
        "row": "行",
        "column": "列",
        "reason": "原因",
        "download_xlsx": "下载 Excel",
        "show": "查看",
        "kpi_plan": "KPI 考核方案权重",
        "weight": "权重",
        "save": "保存",
        "saved": "已保存",
        "rule_profile": "规则档案",
        "windows": "时间窗口",
        "users": "用户",
        "add_user": "添加用户",
        "status": "状态",
        "active": "可登录",
        "disabled": "已停用",
        "disable": "停用",
        "enable": "启用",
        "reset_password": "重置密码",
        "change_password": "修改密码",
        "current_password": "当前密码",
        "new_password": "新密码",
        "confirm_password": "确认新密码",
        "passwords_differ": "两次输入的新密码不一致",
        "password_changed": "密码已修改，其他设备上的登录已退出",
        "no_data": "暂无数据",
        "forbidden": "无权访问",
        "not_found": "未找到",
        "bad_request": "请求有误",
        "language": "English",
        "weekdays": "一,二,三,四,五,六,日",
        "errors": "错误",
        "no_management": "绩效、薪资与等级模块尚未安装",
        "from_month": "生效月份",
        "grading_rules": "等级评定规则",
        "combine_rule": "合成规则",
        "pay_settings": "薪资设置",
        "agent_terms": "客服薪资条款",
        "bonus_pool_deductions": "奖金池扣减指标 (bonus_pool 模式)",
        "allowances": "固定补贴",
        "mentor_of": "辅导新人",
        "list_hint": "逗号分隔；留空沿用上一版本，填 无 清空",
        "blank_is_default": "留空 = 档案默认值",
        "presale": "售前",
        "aftersale": "售后",
    },
    "en": {
        "app": "jinpai",
        "login": "Sign in",
        "logout": "Sign out",
        "username": "Username",
        "password": "Password",
        "login_failed": "Wrong username or password",
        "login_throttled": "Too many failed attempts: try again in 15 minutes",
        "dashboard": "Daily sheet",
        "daily_sheet": "Customer service daily sheet",
        "agents": "Ranking",
        "import": "Import",
        "scorecard": "Scorecard",
        "pay": "Pay",
        "grades": "Grades",
        "settings": "Settings",
        "today": "Today",
        "yesterday": "Yesterday",
        "agent": "Agent",
        "name": "Name",
        "role": "Role",
        "shop_total": "Shop",
        "trends": "Last 30 days",
        "heatmap": "Inquiries: weekday x hour",
        "month": "Month",
        "period": "Period",
        "as_of": "Data as of",
        "figures": "Figures",
        "metric": "Metric",
        "value": "Value",
        "rows_behind": "Rows behind the figure",
        "click_figure": "Click a figure to see its rows",
        "file": "File",
        "table": "Table",
        "columns_map": "Column map (canonical=column,...)",
        "time_format": "Time format (strptime)",
        "upload": "Upload and import",
        "read": "Read",
        "stored": "Stored",
        "updated": "Updated",
        "quarantined": "Quarantined",
        "quarantine": "Quarantined rows",
        "row": "Row",
        "column": "Column",
        "reason": "Reason",
        "download_xlsx": "Download Excel",
        "show": "Show",
        "kpi_plan": "KPI plan weights",
        "weight": "Weight",
        "save": "Save",
        "saved": "Saved",
        "rule_profile": "Rule profile",
        "windows": "Windows",
        "users": "Users",
        "add_user": "Add user",
        "status": "Status",
        "active": "Active",
        "disabled": "Disabled",
        "disable": "Disable",
        "enable": "Enable",
        "reset_password": "Reset password",
        "change_password": "Change password",
        "current_password": "Current password",
        "new_password": "New password",
        "confirm_password": "New password again",
        "passwords_differ": "The new passwords differ",
        "password_changed": "Password changed: sessions on other devices are signed out",
        "no_data": "No data",
        "forbidden": "Forbidden",
        "not_found": "Not found",
        "bad_request": "Bad request",
        "language": "中文",
        "weekdays": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
        "errors": "Errors",
        "no_management": "Scorecard, pay and grading are not installed",
        "from_month": "Valid from",
        "grading_rules": "Grading rules",
        "combine_rule": "Combination rule",
        "pay_settings": "Pay settings",
        "agent_terms": "Agents' pay terms",
        "bonus_pool_deductions": "Bonus pool deductions (bonus_pool mode)",
        "allowances": "Standing allowances",
        "mentor_of": "Coaches",
        "list_hint": "comma-separated; blank keeps the previous version, none empties it",
        "blank_is_default": "blank = the profile's value",
        "presale": "presale",
        "aftersale": "after-sales",
    },
}


def language(request: Request) -> str:
    """``?lang=`` switches and is remembered in the session; else the session's, else default."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        request.session["lang"] = asked
        return asked
    stored = request.session.get("lang")
    return stored if stored in LANGS else request.app.state.jinpai.web.default_lang


def translator(lang: str) -> Any:
    def t(key: str) -> str:
        return MESSAGES.get(lang, {}).get(key) or MESSAGES["zh"].get(key) or key

    return t


def metric_name(metric: str, lang: str) -> str:
    found = CATALOGUE.get(metric)
    if found is None:
        return metric
    return found.zh if lang == "zh" else metric.replace("_", " ")
