"""An ILLUSTRATIVE 法律法规库 for the demo: causes a 城管 bureau commonly handles, with article references
and amounts that look like the real ones but were not checked against any city's current rules or
discretion standards. A city loads its own (the API edits them); never use these for real decisions."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.enforcement.records import DiscretionBand, LawCause

MARKET = "城市市容和环境卫生管理条例"
ROADS = "城市道路管理条例"
PLANNING = "中华人民共和国城乡规划法"
AIR = "中华人民共和国大气污染防治法"
WASTE = "城市建筑垃圾管理规定"

CIRCUMSTANCES = ("轻微", "一般", "较重", "严重")


def _bands(individual, organisation, warning_when_slight=True):
    """(min, max) per circumstance, individual then organisation; 轻微 may be a warning only."""
    rows = []
    for party_type, ranges in (("individual", individual), ("organisation", organisation)):
        for index, (circumstance, (low, high)) in enumerate(zip(CIRCUMSTANCES, ranges)):
            other = "警告" if warning_when_slight and circumstance == "轻微" and high == 0 else None
            rows.append(dict(party_type=party_type, circumstance=circumstance, min_amount=low, max_amount=high,
                             other_penalty=other, sort=index))
    return rows


# code, name, 小类 of the demo catalog (engine.catalog) or None, (violated law, article, text), (penalty law, article, text), other penalties, bands
CAUSES = (
    ("CG0101", "占道经营", "1102", (MARKET, "第十四条", "任何单位和个人都不得在街道两侧和公共场地堆放物料，摆摊设点。"),
     (MARKET, "第三十六条第（一）项", "责令停止违法行为，限期清理，并可处以罚款。"), ["责令改正", "暂扣经营物品"],
     _bands([(0, 0), (50, 200), (200, 500), (500, 1000)], [(0, 0), (500, 3000), (3000, 5000), (5000, 10000)])),
    ("CG0102", "擅自设置户外广告", "1201", (MARKET, "第十一条", "大型户外广告的设置必须征得城市人民政府市容环境卫生行政主管部门同意。"),
     (MARKET, "第三十六条第（二）项", "责令限期拆除，并可处以罚款。"), ["限期拆除"],
     _bands([(0, 0), (100, 200), (200, 1000), (1000, 5000)], [(0, 0), (1000, 3000), (3000, 10000), (10000, 20000)])),
    ("CG0103", "乱倒生活垃圾", "1001", (MARKET, "第三十二条", "任何单位和个人不得随意倾倒垃圾。"),
     (MARKET, "第三十四条第（二）项", "责令纠正违法行为、采取补救措施，可以并处警告、罚款。"), ["警告"],
     _bands([(0, 0), (20, 50), (50, 100), (100, 200)], [(0, 0), (500, 2000), (2000, 3000), (3000, 5000)])),
    ("CG0104", "随意倾倒建筑垃圾渣土", "1002", (WASTE, "第十五条", "任何单位和个人不得随意倾倒、抛撒或者堆放建筑垃圾。"),
     (WASTE, "第二十六条", "单位处5000元以上5万元以下罚款；个人处200元以下罚款。"), ["责令限期改正"],
     _bands([(0, 0), (50, 100), (100, 150), (150, 200)], [(5000, 5000), (5000, 20000), (20000, 35000), (35000, 50000)],
            warning_when_slight=False)),
    ("CG0105", "运输渣土车辆沿途撒漏", "1302", (WASTE, "第十四条", "运输建筑垃圾应当随车携带处置核准文件，不得沿途丢弃、遗撒。"),
     (WASTE, "第二十三条", "处5000元以上5万元以下罚款。"), ["责令限期改正"],
     _bands([(5000, 5000), (5000, 20000), (20000, 35000), (35000, 50000)],
            [(5000, 5000), (5000, 20000), (20000, 35000), (35000, 50000)], warning_when_slight=False)),
    ("CG0106", "擅自占用城市道路", "1303", (ROADS, "第二十七条第（一）项", "城市道路范围内禁止擅自占用道路。"),
     (ROADS, "第四十二条", "责令限期改正，可以处以2万元以下的罚款。"), ["责令限期改正"],
     _bands([(0, 0), (100, 200), (200, 2000), (2000, 20000)], [(0, 0), (1000, 3000), (3000, 10000), (10000, 20000)])),
    ("CG0107", "擅自挖掘城市道路", None, (ROADS, "第三十三条", "因工程建设需要挖掘城市道路的，应当经批准。"),
     (ROADS, "第四十二条", "责令限期改正，可以处以2万元以下的罚款。"), ["责令限期改正", "恢复原状"],
     _bands([(500, 2000), (2000, 5000), (5000, 10000), (10000, 20000)],
            [(2000, 5000), (5000, 10000), (10000, 15000), (15000, 20000)], warning_when_slight=False)),
    ("CG0108", "违法建设（未取得建设工程规划许可证）", None,
     (PLANNING, "第四十条", "在城市、镇规划区内进行建筑物、构筑物、道路、管线和其他工程建设的，应当申请办理建设工程规划许可证。"),
     (PLANNING, "第六十四条", "责令停止建设；尚可采取改正措施消除影响的，限期改正，处建设工程造价5%以上10%以下的罚款；"
      "无法采取改正措施消除影响的，限期拆除。"), ["责令停止建设", "限期拆除", "没收实物或违法收入"],
     _bands([(1000, 5000), (5000, 20000), (20000, 50000), (50000, 200000)],
            [(5000, 20000), (20000, 100000), (100000, 300000), (300000, 1000000)], warning_when_slight=False)),
    ("CG0109", "露天焚烧垃圾", None, (AIR, "第七十七条", "禁止在人口集中地区和其他依法需要特殊保护的区域内焚烧沥青、油毡、橡胶、塑料、皮革、垃圾。"),
     (AIR, "第一百一十九条第二款", "责令改正，对单位处1万元以上10万元以下的罚款，对个人处500元以上2000元以下的罚款。"), ["责令改正"],
     _bands([(500, 500), (500, 1000), (1000, 1500), (1500, 2000)],
            [(10000, 10000), (10000, 40000), (40000, 70000), (70000, 100000)], warning_when_slight=False)),
    ("CG0110", "露天烧烤", None, (AIR, "第八十一条第三款", "任何单位和个人不得在当地人民政府禁止的区域内露天烧烤食品。"),
     (AIR, "第一百一十八条第三款", "责令改正，没收烧烤工具和违法所得，并处500元以上2万元以下的罚款。"), ["没收烧烤工具", "没收违法所得"],
     _bands([(500, 500), (500, 2000), (2000, 10000), (10000, 20000)],
            [(500, 2000), (2000, 5000), (5000, 10000), (10000, 20000)], warning_when_slight=False)),
    ("CG0111", "乱张贴、乱涂写、乱刻画", "1202", (MARKET, "第十七条", "一切单位和个人，都不得在城市建筑物、设施以及树木上涂写、刻画。"),
     (MARKET, "第三十四条第（三）项", "责令纠正违法行为、采取补救措施，可以并处警告、罚款。"), ["警告", "责令清除"],
     _bands([(0, 0), (20, 100), (100, 150), (150, 200)], [(0, 0), (500, 1000), (1000, 2000), (2000, 3000)])),
    ("CG0112", "在城市道路两侧违规堆放物料", "1101", (MARKET, "第十四条", "任何单位和个人都不得在街道两侧和公共场地堆放物料。"),
     (MARKET, "第三十六条第（一）项", "责令停止违法行为，限期清理，并可处以罚款。"), ["限期清理"],
     _bands([(0, 0), (50, 200), (200, 500), (500, 1000)], [(0, 0), (500, 3000), (3000, 5000), (5000, 10000)])),
)


def seed_demo_laws(session: Session) -> int:
    """Add the illustrative causes that are missing (edited ones stay as edited). Returns how many."""
    have = set(session.scalars(select(LawCause.code)))
    added = 0
    for index, (code, name, category, violated, penalty, others, bands) in enumerate(CAUSES):
        if code in have:
            continue
        session.add(LawCause(code=code, name=name, category_code=category, violated_law=violated[0],
                             violated_article=violated[1], violated_text=violated[2], penalty_law=penalty[0],
                             penalty_article=penalty[1], penalty_text=penalty[2], other_penalties=others,
                             is_active=True, sort=index, bands=[DiscretionBand(**band) for band in bands]))
        added += 1
    session.flush()
    return added
