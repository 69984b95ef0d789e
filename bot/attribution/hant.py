"""Traditional Chinese forms of the registry's Chinese names, so "騰訊混元" and "美團" match
as "腾讯混元" and "美团" do: Taiwanese and Hong Kong media write Traditional characters.

Only the characters that the registry's names use and that differ between the scripts are
listed; a name is written in Traditional by swapping each of them.
"""

from __future__ import annotations

_PAIRS = (
    "学學国國华華实實验驗腾騰东東级級计計讯訊务務云雲飞飛问問动動电電数數马馬会會欧歐万萬"
    "网網联聯亚亞办辦鹏鵬广廣书書尔爾长長软軟导導体體来來车車义義团團灵靈宝寶为為谱譜机機"
    "复復达達发發创創龙龍军軍邮郵奥奧医醫湾灣济濟蚂螞蚁蟻仑崙节節图圖鸿鴻爱愛汤湯跃躍树樹"
    "银銀优優线線纪紀际際储儲哔嗶无無与與宫宮员員头頭赛賽叶葉乐樂众眾处處兰蘭脑腦纳納师師"
    "农農庆慶汉漢诺諾贝貝壳殼旷曠视視郑鄭进進术術据據总總张張桨槳萝蘿卜蔔梦夢盘盤蓝藍红紅"
    "携攜阶階应應语語选選艺藝维維资資脸臉伟偉苹蘋逊遜楼樓当當积積麦麥铁鐵凯凱荆荊锐銳远遠"
    "启啟轻輕顿頓统統连連势勢满滿轩軒辕轅几幾滨濱粤粵区區经經临臨门門号號译譯侬儂锡錫澜瀾"
    "习習强強场場监監产產党黨关關财財韩韓赖賴罗羅萨薩黄黃勋勳苏蘇丰豐锋鋒杨楊闫閆杰傑彦彥"
    "吴吳铭銘鸣鳴开開辉輝"
    # and those of the words that say what kind of news an item is
    "购購规規论論报報单單评評测測获獲证證构構设設现現显顯较較训訓练練题題销銷专專项項标標"
    "准準审審则則条條税稅库庫负負责責权權频頻驾駕驶駛厂廠币幣亿億额額润潤营營绩績础礎轮輪"
    "领領击擊败敗胜勝战戰价價许許码碼录錄织織罚罰诉訴讼訟职職辞辭离離"
    "态態觉覺说說读讀详詳释釋观觀险險议議补補贴貼运運输輸"
)
_TABLE = str.maketrans({_PAIRS[i]: _PAIRS[i + 1] for i in range(0, len(_PAIRS), 2)})


def traditional(name: str) -> str:
    """``name`` with each Simplified character the registry uses in its Traditional form."""
    return name.translate(_TABLE)


def both_scripts(pattern: str) -> str:
    """A pattern that also matches its Chinese words written in Traditional characters."""
    written = traditional(pattern)
    # one group of alternatives, so the keyword index finds a literal in each
    return pattern if written == pattern else f"(?:{pattern}|{written})"


def scripts(pattern: str) -> tuple[str, ...]:
    """``pattern``, and its Traditional form when that differs: two entries for an index."""
    written = traditional(pattern)
    return (pattern,) if written == pattern else (pattern, written)
