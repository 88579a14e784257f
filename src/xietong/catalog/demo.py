"""The demo products and categories (org/demo.py runs the step after the people exist): a category tree
per product line of the three demo business units (two or three levels: 数控机床 → 立式加工中心 …,
医疗器械 → 影像设备 → CT …), a dozen products per BU with codes, specifications, units, list prices,
costs, tax rates and product lines, and a few services the whole group sells.

The rows are written with plain model code (no actor is needed for demo configuration), keeping the
model's invariant by hand: a category's ``path`` is the ids from the root, ``/1/5/``. Idempotent:
nothing is done once the first demo category exists, or when the demo business units are not there.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from xietong.org.demo import register_demo_step
from xietong.org.models import BusinessUnit, UserRole

from .models import Product, ProductCategory

# The tree: root → children (→ grandchildren). Names are unique under their parent.
TREE: dict[str, dict[str, tuple[str, ...]]] = {
    "数控机床": {"立式加工中心": (), "卧式加工中心": (), "五轴加工中心": (), "数控车床": ()},
    "工业机器人": {"六轴机器人": (), "SCARA 机器人": (), "协作机器人": ()},
    "自动化产线": {"焊装线": (), "装配线": ()},
    "医疗器械": {
        "影像设备": ("CT", "磁共振", "超声"),
        "体外诊断": ("分析仪", "试剂"),
        "手术耗材": ("吻合器", "穿刺器", "修补材料"),
    },
    "新能源": {
        "储能系统": ("储能柜", "储能集装箱", "电池簇"),
        "光伏逆变器": ("组串式逆变器", "集中式逆变器"),
        "充电桩": ("直流充电桩", "交流充电桩"),
        "能量管理": (),
    },
    "技术服务": {"安装调试": (), "维保服务": (), "培训": ()},
}
# the group's services (installation, maintenance, training): sold, not stocked
SERVICE_LINE = "技术服务"
# goods sold without stock: a software licence is delivered as a key (no ATP, no netting, no risk)
UNSTOCKED_CODES = ("EMS-PRO",)

# (BU code or "" for the whole group, category path as names, code, name, specification, unit,
#  list price, cost, tax rate %, product line)
PRODUCTS: tuple[tuple[str, tuple[str, ...], str, str, str, str, str, str, str, str], ...] = (
    # 工业设备事业部
    (
        "ind",
        ("数控机床", "立式加工中心"),
        "VMC-850",
        "立式加工中心 VMC850",
        "工作台 1000×500 mm，主轴 12000 rpm，BT40，24 刀位",
        "台",
        "385000",
        "246000",
        "13",
        "数控机床",
    ),
    (
        "ind",
        ("数控机床", "立式加工中心"),
        "VMC-1160",
        "立式加工中心 VMC1160",
        "工作台 1300×600 mm，主轴 10000 rpm，BT40，30 刀位",
        "台",
        "528000",
        "339000",
        "13",
        "数控机床",
    ),
    (
        "ind",
        ("数控机床", "卧式加工中心"),
        "HMC-630",
        "卧式加工中心 HMC630",
        "双交换工作台 630×630 mm，B 轴 0.001°，60 刀位",
        "台",
        "1280000",
        "842000",
        "13",
        "数控机床",
    ),
    (
        "ind",
        ("数控机床", "卧式加工中心"),
        "HMC-800",
        "卧式加工中心 HMC800",
        "双交换工作台 800×800 mm，主轴 8000 rpm，90 刀位",
        "台",
        "1650000",
        "1096000",
        "13",
        "数控机床",
    ),
    (
        "ind",
        ("数控机床", "五轴加工中心"),
        "5AX-650",
        "五轴联动加工中心 UMC650",
        "摇篮式 A/C 轴，工作台 Φ650 mm，主轴 18000 rpm",
        "台",
        "2980000",
        "2010000",
        "13",
        "数控机床",
    ),
    (
        "ind",
        ("数控机床", "数控车床"),
        "CK-6150",
        "数控车床 CK6150",
        "最大回转直径 Φ500 mm，卡盘 10 英寸，8 工位刀塔",
        "台",
        "186000",
        "118000",
        "13",
        "数控机床",
    ),
    (
        "ind",
        ("工业机器人", "六轴机器人"),
        "RB-20",
        "六轴工业机器人 RB20",
        "负载 20 kg，臂展 1811 mm，重复定位 ±0.05 mm",
        "台",
        "168000",
        "104000",
        "13",
        "工业机器人",
    ),
    (
        "ind",
        ("工业机器人", "六轴机器人"),
        "RB-165",
        "六轴工业机器人 RB165",
        "负载 165 kg，臂展 2650 mm，点焊/搬运",
        "台",
        "395000",
        "251000",
        "13",
        "工业机器人",
    ),
    (
        "ind",
        ("工业机器人", "SCARA 机器人"),
        "SC-600",
        "SCARA 机器人 SC600",
        "负载 6 kg，臂展 600 mm，节拍 0.39 s",
        "台",
        "68000",
        "41000",
        "13",
        "工业机器人",
    ),
    (
        "ind",
        ("工业机器人", "协作机器人"),
        "CR-10",
        "协作机器人 CR10",
        "负载 10 kg，臂展 1300 mm，力矩传感安全停机",
        "台",
        "128000",
        "79000",
        "13",
        "工业机器人",
    ),
    (
        "ind",
        ("自动化产线", "焊装线"),
        "AL-WELD",
        "白车身焊装线（定制）",
        "8 工位机器人点焊，节拍 60 JPH，含夹具与输送",
        "套",
        "8600000",
        "6150000",
        "13",
        "自动化产线",
    ),
    (
        "ind",
        ("自动化产线", "装配线"),
        "AL-MOTOR",
        "电机自动装配线",
        "定转子合装、压装、检测，节拍 30 s/台",
        "套",
        "3200000",
        "2240000",
        "13",
        "自动化产线",
    ),
    # 医疗器械事业部
    (
        "med",
        ("医疗器械", "影像设备", "CT"),
        "CT-128",
        "128 排螺旋 CT",
        "探测器 128 排，旋转 0.28 s，低剂量迭代重建",
        "台",
        "6800000",
        "4620000",
        "13",
        "影像设备",
    ),
    (
        "med",
        ("医疗器械", "影像设备", "CT"),
        "CT-64",
        "64 排螺旋 CT",
        "探测器 64 排，旋转 0.35 s，孔径 75 cm",
        "台",
        "3900000",
        "2690000",
        "13",
        "影像设备",
    ),
    (
        "med",
        ("医疗器械", "影像设备", "磁共振"),
        "MR-150",
        "1.5T 超导磁共振",
        "场强 1.5 T，梯度 45 mT/m，孔径 70 cm",
        "台",
        "8500000",
        "5950000",
        "13",
        "影像设备",
    ),
    (
        "med",
        ("医疗器械", "影像设备", "超声"),
        "US-C9",
        "彩色多普勒超声 C9",
        "4 探头接口，21.5 英寸显示器，心脏/腹部/妇产",
        "台",
        "980000",
        "612000",
        "13",
        "影像设备",
    ),
    (
        "med",
        ("医疗器械", "影像设备", "超声"),
        "US-P5",
        "便携式彩超 P5",
        "笔记本式，整机 5.8 kg，床旁与急诊",
        "台",
        "260000",
        "158000",
        "13",
        "影像设备",
    ),
    (
        "med",
        ("医疗器械", "体外诊断", "分析仪"),
        "IVD-BC2000",
        "全自动生化分析仪 BC2000",
        "恒速 2000 测试/小时，试剂位 90",
        "台",
        "650000",
        "402000",
        "13",
        "体外诊断",
    ),
    (
        "med",
        ("医疗器械", "体外诊断", "分析仪"),
        "IVD-IM800",
        "化学发光免疫分析仪 IM800",
        "800 测试/小时，急诊位 10，连续加样",
        "台",
        "720000",
        "455000",
        "13",
        "体外诊断",
    ),
    (
        "med",
        ("医疗器械", "体外诊断", "试剂"),
        "RG-LF8",
        "肝功能八项检测试剂盒",
        "100 测试/盒，2–8 ℃ 保存",
        "盒",
        "1280",
        "590",
        "13",
        "体外诊断",
    ),
    (
        "med",
        ("医疗器械", "体外诊断", "试剂"),
        "RG-TH5",
        "甲状腺功能五项试剂盒",
        "100 测试/盒，化学发光法",
        "盒",
        "2400",
        "1080",
        "13",
        "体外诊断",
    ),
    (
        "med",
        ("医疗器械", "手术耗材", "吻合器"),
        "SC-STP60",
        "一次性腔镜直线切割吻合器",
        "钉仓长度 60 mm，可旋转头端",
        "把",
        "1850",
        "760",
        "13",
        "手术耗材",
    ),
    (
        "med",
        ("医疗器械", "手术耗材", "穿刺器"),
        "SC-TRO12",
        "一次性穿刺器套装",
        "Φ12 mm，带密封帽与气腹接口",
        "套",
        "680",
        "270",
        "13",
        "手术耗材",
    ),
    (
        "med",
        ("医疗器械", "手术耗材", "修补材料"),
        "SC-MESH",
        "疝修补网片",
        "15×15 cm，聚丙烯轻量型",
        "片",
        "2200",
        "860",
        "13",
        "手术耗材",
    ),
    # 新能源事业部
    (
        "energy",
        ("新能源", "储能系统", "储能柜"),
        "ESS-215",
        "215 kWh 工商业储能一体柜",
        "100 kW / 215 kWh，液冷，磷酸铁锂",
        "台",
        "520000",
        "389000",
        "13",
        "储能系统",
    ),
    (
        "energy",
        ("新能源", "储能系统", "储能集装箱"),
        "ESS-1000",
        "1 MWh 储能集装箱",
        "500 kW / 1.03 MWh，20 尺集装箱，含 PCS 与消防",
        "套",
        "1650000",
        "1262000",
        "13",
        "储能系统",
    ),
    (
        "energy",
        ("新能源", "储能系统", "电池簇"),
        "ESS-BC280",
        "储能电池簇 280Ah",
        "1P416S，1331 V，含 BMS",
        "簇",
        "180000",
        "141000",
        "13",
        "储能系统",
    ),
    (
        "energy",
        ("新能源", "光伏逆变器", "组串式逆变器"),
        "PV-50K",
        "组串式光伏逆变器 50 kW",
        "4 路 MPPT，最大效率 98.7 %",
        "台",
        "12600",
        "8900",
        "13",
        "光伏逆变器",
    ),
    (
        "energy",
        ("新能源", "光伏逆变器", "组串式逆变器"),
        "PV-110K",
        "组串式光伏逆变器 110 kW",
        "10 路 MPPT，最大效率 98.8 %，智能 IV 诊断",
        "台",
        "23800",
        "16700",
        "13",
        "光伏逆变器",
    ),
    (
        "energy",
        ("新能源", "光伏逆变器", "集中式逆变器"),
        "PV-3125K",
        "集中式光伏逆变器 3125 kW",
        "1500 V 系统，箱式一体化",
        "台",
        "398000",
        "301000",
        "13",
        "光伏逆变器",
    ),
    (
        "energy",
        ("新能源", "充电桩", "直流充电桩"),
        "CH-DC160",
        "直流快充桩 160 kW",
        "双枪，GB/T 2015，恒功率 200–1000 V",
        "台",
        "78000",
        "52000",
        "13",
        "充电桩",
    ),
    (
        "energy",
        ("新能源", "充电桩", "直流充电桩"),
        "CH-DC60",
        "直流充电桩 60 kW",
        "单枪，壁挂/落地两用",
        "台",
        "36000",
        "23800",
        "13",
        "充电桩",
    ),
    (
        "energy",
        ("新能源", "充电桩", "交流充电桩"),
        "CH-AC7",
        "交流充电桩 7 kW",
        "刷卡/扫码，IP55",
        "台",
        "2980",
        "1650",
        "13",
        "充电桩",
    ),
    (
        "energy",
        ("新能源", "能量管理"),
        "EMS-PRO",
        "能量管理系统 EMS（软件许可）",
        "削峰填谷、需量控制、光储充协调，单站授权",
        "套",
        "120000",
        "36000",
        "13",
        "储能系统",
    ),
    # 全集团：技术服务（现代服务业，税率 6 %）
    (
        "",
        ("技术服务", "安装调试"),
        "SV-INST",
        "现场安装调试服务",
        "工程师现场安装、调试与验收配合",
        "人天",
        "2500",
        "1200",
        "6",
        SERVICE_LINE,
    ),
    (
        "",
        ("技术服务", "维保服务"),
        "SV-MAINT",
        "年度维保服务",
        "两次预防性维护，24 小时响应，备件八折",
        "年",
        "48000",
        "21000",
        "6",
        SERVICE_LINE,
    ),
    (
        "",
        ("技术服务", "培训"),
        "SV-TRAIN",
        "操作与维护培训",
        "客户现场或培训中心，每期不超过 10 人",
        "期",
        "8000",
        "3000",
        "6",
        SERVICE_LINE,
    ),
)

FIRST_ROOT = next(iter(TREE))


def _categories() -> dict[tuple[str, ...], ProductCategory]:
    """Create the tree level by level, each node's ``path`` from its parent's."""
    made: dict[tuple[str, ...], ProductCategory] = {}

    def add(key: tuple[str, ...], position: int) -> None:
        parent = made.get(key[:-1])
        node = ProductCategory.objects.create(name=key[-1], parent=parent, position=position)
        node.path = f"{parent.path if parent else '/'}{node.pk}/"
        ProductCategory.objects.filter(pk=node.pk).update(path=node.path)
        made[key] = node

    for i, (root, children) in enumerate(TREE.items()):
        add((root,), i)
        for j, (child, grandchildren) in enumerate(children.items()):
            add((root, child), j)
            for k, grandchild in enumerate(grandchildren):
                add((root, child, grandchild), k)
    return made


def load(created: Counter[str]) -> None:
    if ProductCategory.objects.filter(name=FIRST_ROOT, parent__isnull=True).exists():
        return
    units = {bu.code: bu for bu in BusinessUnit.objects.filter(code__in={"ind", "med", "energy"})}
    if len(units) != 3:
        return
    heads = {
        grant.business_unit_id: grant.user
        for grant in UserRole.objects.filter(role__code="bu_head", business_unit__in=units.values())
        .select_related("user")
        .order_by("user__username")
    }
    categories = _categories()
    created["product categories"] += len(categories)
    products = []
    for bu_code, path, code, name, spec, unit, price, cost, tax, line in PRODUCTS:
        bu = units.get(bu_code)
        products.append(
            Product(
                code=code,
                name=name,
                specification=spec,
                unit=unit,
                list_price=Decimal(price),
                cost=Decimal(cost),
                tax_rate=Decimal(tax),
                product_line=line,
                category=categories[path],
                business_unit=bu,
                created_by=heads.get(bu.pk) if bu else None,
                description=f"{name}：{spec}。",
            )
        )
    Product.objects.bulk_create(products)
    created["products"] += len(products)


register_demo_step(load)
