"""The default category → department mapping, seeded by migration 0002 (then edited in admin).

Level-1 categories without an entry (党务政务, 纪检监察, 经济管理, 科技与信息产业, 民政,
农村农业) have no department among the routing functions: they go to the fallback unit
until an administrator maps them. Deeper codes refine their parent (the deepest wins).
"""

DEFAULT_MAPPING = {
    "01": "housing",  # 城乡建设 → 住建局
    "0102": "urban",  # 城乡建设/城市建设和市政管理 → 城管局
    "0103": "land",  # 城乡建设/城乡规划 → 自然资源和规划局
    "03": "land",  # 国土资源 → 自然资源和规划局
    "04": "ecology",  # 环境保护 → 生态环境局
    "06": "transport",  # 交通运输 → 交通运输局
    "11": "market",  # 商贸旅游 → 市场监管局
    "12": "health",  # 卫生计生 → 卫健委
    "1204": "market",  # 卫生计生/食品药品监管 → 市场监管局 (food and drugs moved there in 2018)
    "13": "police",  # 政法 → 公安局
    "14": "education",  # 教育文体 → 教育局
    "1408": "fallback",  # 教育文体/体育: no sports bureau among the functions
    "1409": "fallback",  # 教育文体/文化
    "1410": "fallback",  # 教育文体/文物管理
    "15": "hrss",  # 劳动和社会保障 → 人社局
}
# Level-3 utilities, found by name because their codes depend on the tree's order.
DEFAULT_BY_NAME = {
    "城乡建设/城市建设和市政管理/自来水供应": "water",
    "城乡建设/城市建设和市政管理/电力供应": "power",
}


def default_rows() -> list[tuple[str, str, str]]:
    """(code, full name, function) of every default mapping."""
    from .taxonomy import path, tree

    nodes = tree()

    def full(code):
        return "/".join(nodes[c].name for c in path(code))

    by_full = {full(code): code for code in nodes}
    rows = [(code, full(code), function) for code, function in DEFAULT_MAPPING.items()]
    for full, function in DEFAULT_BY_NAME.items():
        if full in by_full:
            rows.append((by_full[full], full, function))
    return rows
