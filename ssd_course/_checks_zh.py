"""The Chinese of the exercise feedback (:mod:`ssd_course.checks`), merged into ``i18n.CATALOGUE["zh"]``.

Keys are the English texts as ``checks`` writes them; a case title with numbers, such as
"random box 3", is looked up with its numbers as fields ("random box {n0}").
"""

from __future__ import annotations

CHECKS_ZH: dict[str, str] = {
    # the frame of every report
    "✓ {name}: all {total} cases pass": "✓ {name}：全部 {total} 个用例通过",
    "✗ {name}: {failing} of {total} cases fail": "✗ {name}：{total} 个用例中有 {failing} 个未通过",
    "  Case {number} ({title}):": "  用例 {number}（{title}）：",
    "  Case {number} of {total} ({title}):": "  用例 {number}/{total}（{title}）：",
    "expected:": "期望：",
    "got:     ": "得到：",
    "  Hint: {hint}": "  提示：{hint}",
    "{number} ({title})": "{number}（{title}）",
    ", ": "，",
    "; ": "；",
    " and {count} more": "，另有 {count} 个",
    "  Also failing: case {cases}": "  另一个未通过的用例：{cases}",
    "  Also failing: cases {cases}": "  其他未通过的用例：{cases}",
    "✗ {name}: your function raised {error}": "✗ {name}：你的函数抛出了 {error}",
    "in {function}: {line}": "出错位置 {function}：{line}",
    "✗ {name}: check_{name} needs your function itself, without calling it: write "
    "check_{name}(my_function), not check_{name}(my_function(...)); got {what}":
        "✗ {name}：check_{name} 需要的是函数本身，不要调用它：写 check_{name}(my_function)，"
        "而不是 check_{name}(my_function(...))；收到的是{what}",
    # what the learner returned, and what was wanted
    "tensor of shape {shape} (seeded random values)": "形状为 {shape} 的张量（固定种子的随机值）",
    "a tensor of shape {shape} and dtype {dtype}": "一个形状为 {shape}、dtype 为 {dtype} 的张量",
    "a {kind} of {count} values": "一个含 {count} 个值的 {kind}",
    "a value of type {kind}": "一个类型为 {kind} 的值",
    "your function returned None, not {wanted}: did you forget `return`?":
        "你的函数返回了 None，而不是{wanted}：是不是忘了写 `return`？",
    "your function returned {what}; it should return {wanted}": "你的函数返回了{what}；它应当返回{wanted}",
    "one number (a float or a 0-dim tensor)": "一个数（float 或 0 维张量）",
    "a tensor of shape {shape}": "一个形状为 {shape} 的张量",
    "{count} numbers (a tuple, a list or a tensor of shape [{count}])":
        "{count} 个数（tuple、list 或形状为 [{count}] 的张量）",
    "a tensor of {count} integer indices (shape [{count}], dtype torch.int64)":
        "一个含 {count} 个整数索引的张量（形状 [{count}]，dtype torch.int64）",
    "your function returned a bool tensor; it should return {wanted}": "你的函数返回了 bool 张量；它应当返回{wanted}",
    "your function returned a float tensor with fractions; it should return {wanted}":
        "你的函数返回了带小数的 float 张量；它应当返回{wanted}",
    "one integer index": "一个整数索引",
    "a bool mask of shape [P] = [{P}], True for the kept negatives":
        "一个形状为 [P] = [{P}] 的 bool 掩码，保留的负样本处为 True",
    "your function returned {what} with values other than True/False: did you "
    "return the indices of the kept priors? It should return {wanted}: start from "
    "torch.zeros(P, dtype=torch.bool) and set the kept positions to True":
        "你的函数返回了{what}，其中有 True/False 以外的值：是不是返回了保留的先验框的索引？"
        "它应当返回{wanted}：从 torch.zeros(P, dtype=torch.bool) 开始，把保留的位置设为 True",
    "a bool mask of shape {shape} = [B, P], True for the kept negatives":
        "一个形状为 {shape} = [B, P] 的 bool 掩码，保留的负样本处为 True",
    "empty, shape [0, 4]": "空，形状 [0, 4]",
    "empty, shape [0]": "空，形状 [0]",
    # explanations of a difference
    "True at {positions} (of {count})": "在 {positions} 处为 True（共 {count} 个）",
    "shape: expected {expected}, got {got}": "形状：期望 {expected}，得到 {got}",
    "missing {positions}": "缺少 {positions}",
    "should not be kept {positions}": "不应保留 {positions}",
    "image {image}: True at {positions}": "图像 {image}：在 {positions} 处为 True",
    "GT {g}: priors {priors}": "真实框 {g}：先验框 {priors}",
    "GT {g}: no prior": "真实框 {g}：没有先验框",
    "{count} priors background": "{count} 个先验框为背景",
    ", ... ({count} in all)": "，……（共 {count} 个）",
    "{count} priors 0 (background)": "{count} 个先验框为 0（背景）",
    "class per positive prior {{{shown}}}; ": "每个正样本先验框的类别 {{{shown}}}；",
    "no positive prior; ": "没有正样本先验框；",
    "; {count} priors below 0": "；{count} 个先验框小于 0",
    "GT left without any prior: {lost}; ": "没有任何先验框的真实框：{lost}；",
    "priors that differ: {priors}": "不同的先验框：{priors}",

    # 01 check_cxcywh_to_xyxy
    "a box in the middle": "位于中间的框",
    "a wide, flat box": "又宽又扁的框",
    "a tall, thin box": "又高又窄的框",
    "a box in the top-left corner": "左上角的框",
    "a box crossing the left border": "越过左边界的框",
    "the whole image": "整幅图像",
    "random box {n0}": "随机框 {n0}",
    "a box may cross the image border (priors do): keep x1 < 0, do not clip it.":
        "框可以越过图像边界（先验框就会）：保留 x1 < 0，不要裁剪。",
    "the corners are half a width and half a height from the centre: x1 = cx - w / 2, not cx - w.":
        "角点离中心半个宽度、半个高度：x1 = cx - w / 2，不是 cx - w。",
    "return the corners in the order (x1, y1, x2, y2): the top-left corner, then the bottom-right one. "
    "Yours are in the order (x1, x2, y1, y2).":
        "按 (x1, y1, x2, y2) 的顺序返回角点：先左上角，再右下角。你的顺序是 (x1, x2, y1, y2)。",
    "the width w goes with x and the height h with y: x1 = cx - w / 2, y1 = cy - h / 2.":
        "宽度 w 对应 x，高度 h 对应 y：x1 = cx - w / 2，y1 = cy - h / 2。",
    "the last two numbers are the bottom-right corner (x2, y2) = (cx + w / 2, cy + h / 2), not the width and height.":
        "后两个数是右下角 (x2, y2) = (cx + w / 2, cy + h / 2)，不是宽度和高度。",
    "do not clip the box to [0, 1]: a box may cross the image border, and the conversion must keep it as it is.":
        "不要把框裁剪到 [0, 1]：框可以越过图像边界，转换必须保持它原样。",
    "x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2.":
        "x1 = cx - w / 2，y1 = cy - h / 2，x2 = cx + w / 2，y2 = cy + h / 2。",
    # 01 check_iou_pair
    "two boxes overlapping by a quarter of each": "两个框各有四分之一重叠",
    "two identical boxes": "两个相同的框",
    "one box inside the other": "一个框在另一个框里面",
    "boxes side by side with a gap in x": "两个框并排，x 方向有间隙",
    "boxes apart in both x and y": "两个框在 x 和 y 方向都分开",
    "boxes touching along an edge": "两个框沿一条边相接",
    "a box with no width and a normal box": "一个宽度为 0 的框和一个普通框",
    "two boxes with no area (union 0)": "两个面积为 0 的框（并集为 0）",
    "random pair {n0}": "随机框对 {n0}",
    "when the boxes do not overlap, min(x2) - max(x1) (or the same in y) is negative: clamp the width and the "
    "height of the intersection at 0 before multiplying them.":
        "两个框不重叠时，min(x2) - max(x1)（或 y 方向的同一式子）是负数：先把交集的宽度和高度截断到 0，再相乘。",
    "boxes that only share an edge have an intersection of width 0: IoU 0.":
        "只共享一条边的两个框，交集宽度为 0：交并比为 0。",
    "a box with x2 = x1 has no area: its intersection with anything is 0, so IoU is 0.":
        "x2 = x1 的框没有面积：它与任何框的交集都是 0，所以交并比为 0。",
    "two empty boxes have intersection 0 and union 0, and 0 / 0 is not a number: return 0 when the union is 0 "
    "(IoU must be 0 for empty boxes, never NaN).":
        "两个空框的交集和并集都是 0，而 0 / 0 不是数：并集为 0 时返回 0（空框的交并比必须是 0，绝不能是 NaN）。",
    "your results match an IoU whose intersection width and height are not clamped at 0: for boxes that do not "
    "overlap, min(x2) - max(x1) is negative. Use max(0, ...) for the width and for the height separately.":
        "你的结果与交集宽高没有截断到 0 的交并比一致：两个框不重叠时，min(x2) - max(x1) 是负数。"
        "对宽度和高度分别用 max(0, ...)。",
    "your results match an IoU that clamps the product width * height instead of each side: two negative sides "
    "multiply to a positive 'intersection'. Clamp the width and the height at 0 separately.":
        "你的结果与截断乘积 width * height、而不是分别截断每条边的交并比一致：两条负的边相乘得到正的"
        "“交集”。请把宽度和高度分别截断到 0。",
    "your results match intersection / (area_a + area_b): the union counts the intersection twice unless you "
    "subtract it once: union = area_a + area_b - intersection.":
        "你的结果与 intersection / (area_a + area_b) 一致：不减去一次交集，并集就把交集算了两次："
        "union = area_a + area_b - intersection。",
    "your results match intersection / area_a: divide by the union of the two boxes, area_a + area_b - "
    "intersection, not by one box's area.":
        "你的结果与 intersection / area_a 一致：要除以两个框的并集 area_a + area_b - intersection，"
        "而不是一个框的面积。",
    "your results match widths computed as x2 - x1 + 1: that '+ 1' belongs to integer pixel indices; the "
    "course's coordinates are fractional and continuous, so width = x2 - x1.":
        "你的结果与按 x2 - x1 + 1 计算宽度一致：这个“+ 1”属于整数像素索引；本课程的坐标是连续的相对坐标，"
        "所以 width = x2 - x1。",
    "IoU = intersection / (area_a + area_b - intersection), with the intersection's width "
    "max(0, min(x2a, x2b) - max(x1a, x1b)) and its height the same in y.":
        "IoU = intersection / (area_a + area_b - intersection)，交集宽度为 "
        "max(0, min(x2a, x2b) - max(x1a, x1b))，高度在 y 方向同理。",
}
