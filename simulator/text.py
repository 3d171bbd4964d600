"""Deterministic, realistic-looking Chinese industrial news text for the simulated portals."""

from __future__ import annotations

import random

COMPANIES = [
    "镇海炼化", "中国石化", "西门子", "ABB", "施耐德电气", "国家电网", "南方电网", "汇川技术",
    "和利时", "中控技术", "罗克韦尔自动化", "三菱电机", "欧姆龙", "宝武钢铁", "宁德时代",
    "比亚迪", "华为", "中国石油", "埃斯顿", "新松机器人", "川仪股份", "上海电气", "东方电气",
]
PLACES = ["宁波", "上海", "苏州", "深圳", "天津", "成都", "武汉", "西安", "青岛", "合肥",
          "南京", "杭州", "广州", "重庆", "沈阳", "大连", "长沙", "郑州"]
TOPICS = [
    ("炼化一体化项目", "石化"), ("乙烯裂解装置", "石化"), ("催化裂化装置改造", "石化"),
    ("特高压输电工程", "电力"), ("智能变电站", "电力"), ("配电网自动化改造", "电力"),
    ("光伏电站", "新能源"), ("海上风电项目", "新能源"), ("储能电站", "新能源"),
    ("伺服系统", "自动化"), ("PLC控制系统", "自动化"), ("DCS集散控制系统", "自动化"),
    ("工业机器人生产线", "机器人"), ("协作机器人", "机器人"), ("焊接机器人工作站", "机器人"),
    ("电磁流量计", "仪器仪表"), ("压力变送器", "仪器仪表"), ("在线分析仪表", "仪器仪表"),
    ("动力电池工厂", "汽车"), ("新能源汽车总装线", "汽车"), ("热轧生产线", "冶金"),
    ("变频器", "自动化"), ("5G专网", "通信"), ("水泥熟料生产线", "建材"), ("数控机床", "机械"),
]
VERBS = ["正式投产", "顺利通过验收", "完成升级改造", "进入调试阶段", "签约落地", "实现满负荷运行",
         "开工建设", "成功并网", "获得订单", "发布新一代产品"]
SENTENCES = [
    "{company}有关负责人表示，{topic}的建成将进一步提升企业的生产效率和安全水平。",
    "据了解，该{topic}总投资约{money}亿元，设计产能为每年{amount}万吨。",
    "项目采用了先进的{tech}技术，关键设备国产化率超过{pct}%。",
    "在建设过程中，{company}组织技术人员攻克了多项技术难题，确保了工程质量和进度。",
    "业内专家指出，{topic}对推动{place}地区产业转型升级具有重要意义。",
    "今年以来，{company}持续加大研发投入，全年研发费用同比增长{pct}%。",
    "目前，该系统已在{place}的{num}家企业成功应用，平均节能率达到{pct}%以上。",
    "{company}相关负责人介绍，下一步将围绕智能制造和数字化转型继续推进重点项目建设。",
    "据统计，{month}月份{place}规模以上工业增加值同比增长{pct}%，增速环比加快。",
    "该项目投用后，每年可减少二氧化碳排放约{amount}万吨，经济效益和社会效益显著。",
    "现场负责人告诉记者，项目团队实行两班倒作业，每天有{num}余名工人在现场施工。",
    "与传统方案相比，新系统的故障率下降了{pct}%，维护成本降低约三分之一。",
    "会上，双方就{tech}、工业互联网平台建设等领域的合作进行了深入交流。",
    "{place}市有关部门表示，将为{topic}提供用地、融资等方面的支持，确保早日建成见效。",
    "此次发布的产品覆盖了{num}个系列，可广泛应用于冶金、化工、电力、水处理等行业。",
    "据介绍，{topic}的控制系统由{company}提供，实现了全流程自动控制和远程监控。",
    "{month}月以来，{company}累计完成产值{money}亿元，同比增长{pct}%，创历史同期最好水平。",
    "专家组一致认为，该成果整体技术达到国内领先水平，部分指标达到国际先进水平。",
]
# Sentences are drawn clause by clause: whole template sentences recurred verbatim in a third
# of all article pairs (real articles share almost none), which made every article look like a
# near-duplicate candidate of many others and skewed what the benchmark measured.
CLAUSES = [clause for sentence in SENTENCES for clause in sentence.rstrip("。").split("，")]
TECHS = ["数字孪生", "边缘计算", "机器视觉", "工业互联网", "智能巡检", "先进过程控制", "预测性维护",
         "大数据分析", "5G+工业互联网", "人工智能算法"]
SOURCES = ["中国石化新闻网", "中国电力报", "中国化工报", "中国能源报", "经济日报", "科技日报",
           "新华网", "人民网", "中国证券报", "第一财经"]
AUTHORS = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周涛", "吴昊"]


def _fill(template: str, rng: random.Random, company: str, topic: str, place: str) -> str:
    return template.format(
        company=company, topic=topic, place=place,
        money=rng.randint(2, 480), amount=rng.randint(5, 300), pct=rng.randint(5, 60),
        num=rng.randint(3, 800), month=rng.randint(1, 12), tech=rng.choice(TECHS),
    )


def article_text(seed: int, paragraphs: tuple[int, int] = (3, 6)) -> tuple[str, list[str], str]:
    """(headline, paragraphs, industry) for article number ``seed``: different for every seed."""
    rng = random.Random(seed)
    company, place = rng.choice(COMPANIES), rng.choice(PLACES)
    topic, industry = rng.choice(TOPICS)
    title = f"{company}{place}{topic}{rng.choice(VERBS)}"
    if rng.random() < 0.3:
        title += f"（第{seed % 97 + 1}期）"
    lead = (f"近日，{company}位于{place}的{topic}{rng.choice(VERBS)}，"
            f"标志着{company}在{industry}领域的布局迈出了关键一步。")
    body = [lead]
    for _ in range(rng.randint(*paragraphs) - 1):
        sentences = (
            "，".join(rng.sample(CLAUSES, k=rng.randint(2, 3))) + "。"
            for _ in range(rng.randint(2, 4))
        )
        body.append("".join(_fill(s, rng, company, topic, place) for s in sentences))
    return title, body, industry
