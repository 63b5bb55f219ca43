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
    "empty, shape {shape}": "空，形状 {shape}",
    "image {image}: {difference}": "图像 {image}：{difference}",
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
    "1 prior 0 (background)": "1 个先验框为 0（背景）",
    "class per positive prior {{{shown}}}; ": "每个正样本先验框的类别 {{{shown}}}；",
    "no positive prior; ": "没有正样本先验框；",
    "; {count} priors below 0": "；{count} 个先验框小于 0",
    "; 1 prior below 0": "；1 个先验框小于 0",
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
    # 02 check_prior_box
    "the tiny detector's first prior": "小型检测器的第一个先验框",
    "column 1 of row 0, a wide prior": "第 0 行第 1 列，一个宽的先验框",
    "row 2 of column 0": "第 0 列第 2 行",
    "a tall prior in row 3, column 5": "第 3 行第 5 列的一个高的先验框",
    "the last cell of the 7 x 7 map": "7 x 7 特征图的最后一个网格单元",
    "SSD300's 38 x 38 map": "SSD300 的 38 x 38 特征图",
    "a 1 x 1 map: one cell, centred": "1 x 1 特征图：一个网格单元，位于中心",
    "random prior {n0}": "随机先验框 {n0}",
    "the centre of cell (i, j) is half a cell in from its corner: cx = (j + 0.5) / map_size, "
    "cy = (i + 0.5) / map_size.":
        "网格单元 (i, j) 的中心离它的角半个单元：cx = (j + 0.5) / map_size，cy = (i + 0.5) / map_size。",
    "the column j gives x and the row i gives y: cx = (column + 0.5) / map_size, cy = (row + 0.5) / map_size.":
        "列 j 决定 x，行 i 决定 y：cx = (column + 0.5) / map_size，cy = (row + 0.5) / map_size。",
    "the size uses the square root of the aspect ratio: w = s * sqrt(r), h = s / sqrt(r), so that w / h = r and "
    "w * h = s**2.":
        "尺寸用的是宽高比的平方根：w = s * sqrt(r)，h = s / sqrt(r)，这样 w / h = r 且 w * h = s**2。",
    "the aspect ratio is width / height, so a ratio of 2 is a wide prior: w = s * sqrt(r), h = s / sqrt(r) "
    "(you swapped w and h).":
        "宽高比是 宽 / 高，所以宽高比 2 是一个宽的先验框：w = s * sqrt(r)，h = s / sqrt(r)（你把 w 和 h 换了）。",
    "divide by map_size, not by 7: only the tiny detector's map has 7 cells a side.":
        "除以 map_size，不是除以 7：只有小型检测器的特征图每边 7 个网格单元。",
    "cx = (column + 0.5) / map_size, cy = (row + 0.5) / map_size, w = scale * sqrt(aspect_ratio), "
    "h = scale / sqrt(aspect_ratio).":
        "cx = (column + 0.5) / map_size，cy = (row + 0.5) / map_size，w = scale * sqrt(aspect_ratio)，"
        "h = scale / sqrt(aspect_ratio)。",
    # 02 check_prior_index
    "the first prior": "第一个先验框",
    "the next aspect ratio": "下一个宽高比",
    "the next scale": "下一个尺度",
    "the next column": "下一列",
    "the next row": "下一行",
    "the last prior": "最后一个先验框",
    "row 3, column 2, scale 0.4, ratio 0.5": "第 3 行、第 2 列，尺度 0.4，宽高比 0.5",
    "priors are ordered row by row: index = ((row * 7 + column) * 3 + scale_index) * 3 + ratio_index; you "
    "swapped row and column.":
        "先验框逐行排列：index = ((row * 7 + column) * 3 + scale_index) * 3 + ratio_index；你把行和列换了。",
    "within a cell the aspect ratio varies fastest (scale-major): ((row * 7 + column) * 3 + scale_index) * 3 + "
    "ratio_index.":
        "在一个网格单元内，宽高比变化最快（尺度在外层）：((row * 7 + column) * 3 + scale_index) * 3 + ratio_index。",
    "every cell holds 9 priors, so moving one cell on moves 9 places: multiply the cell number row * 7 + column "
    "by 9.":
        "每个网格单元有 9 个先验框，所以往后移一个单元就移 9 个位置：把单元编号 row * 7 + column 乘以 9。",
    "count the priors before this one: 9 per cell, cells row by row (7 per row), then 3 per scale, then 1 per "
    "aspect ratio.":
        "数一数它前面有多少个先验框：每个网格单元 9 个，单元逐行排列（每行 7 个），然后每个尺度 3 个，每个宽高比 1 个。",
    # 03 check_principle1_loop, check_principle2, check_assign
    "every GT has a different best prior": "每个真实框的最佳先验框都不同",
    "one GT": "一个真实框",
    "two GTs share their best prior": "两个真实框共用最佳先验框",
    "the second GT has the higher IoU with the shared prior": "第二个真实框与共用先验框的交并比更高",
    "three GTs, one prior each": "三个真实框，各一个先验框",
    "random IoU {n0}": "随机交并比 {n0}",
    "random IoU {n0}, every GT's best prior is the same": "随机交并比 {n0}，所有真实框的最佳先验框相同",
    "both GTs want prior 0: GT 0 takes it (0.9 is the highest pair), then GT 1 takes its best free prior.":
        "两个真实框都想要先验框 0：真实框 0 拿走它（0.9 是最高的一对），然后真实框 1 拿它最好的空闲先验框。",
    "the highest pair overall goes first: GT 1 takes prior 0 (0.9), then GT 0 takes its best remaining prior.":
        "全局最高的一对先配：真实框 1 拿走先验框 0（0.9），然后真实框 0 拿剩下的最佳先验框。",
    "repeat: take the highest free (GT, prior) pair, remove that GT and that prior, until every GT has a prior. "
    "After GT 0 takes prior 0 (0.9), the highest free pair is GT 2 with prior 1 (0.6), so GT 1 gets prior 2.":
        "重复：取交并比最高的空闲（真实框，先验框）对，去掉这个真实框和这个先验框，直到每个真实框都有先验框。"
        "真实框 0 拿走先验框 0（0.9）后，最高的空闲对是真实框 2 与先验框 1（0.6），所以真实框 1 得到先验框 2。",
    "your results match each GT's plain argmax: when two GTs share a best prior, both name it, and in the "
    "matching the later GT overwrites the earlier one, which is left with no prior. Take the pairs greedily: the "
    "highest IoU among GTs and priors not taken yet, then mark that GT and that prior as taken.":
        "你的结果与每个真实框简单的 argmax 一致：两个真实框共用最佳先验框时，两者都选它，匹配时后面的真实框"
        "覆盖前面的，前面的就没有先验框了。请贪心地取对：在还没被取走的真实框和先验框中取交并比最高的一对，"
        "再把这个真实框和这个先验框标记为已取。",
    "your results match the GTs taken in index order (GT 0 first, then GT 1 among the free priors...). "
    "Principle 1's greedy order is by IoU: the highest pair among all free GTs and priors first, whichever GT it "
    "belongs to.":
        "你的结果与按索引顺序处理真实框一致（先真实框 0，再在空闲先验框中处理真实框 1……）。第一个原则的贪心"
        "顺序按交并比：在所有空闲的真实框和先验框中，最高的一对先配，不管它属于哪个真实框。",
    "your results match the GTs served in the order of their own best IoU (the GT with the highest best IoU "
    "first, each taking its best free prior). After a pair is taken, the next pair is the highest IoU among the "
    "GTs and priors still free, which may belong to another GT: here GT 2's 0.6 comes before GT 1's 0.2.":
        "你的结果与按各自最佳交并比的顺序处理真实框一致（最佳交并比最高的真实框先来，各取最好的空闲先验框）。"
        "取走一对之后，下一对是仍空闲的真实框和先验框中交并比最高的，它可能属于另一个真实框：这里真实框 2 的 "
        "0.6 排在真实框 1 的 0.2 之前。",
    "principle 1 starts from each GT: one prior index per GT, shape [G], the maximum over the priors (dim=1), "
    "not one GT per prior.":
        "第一个原则从每个真实框出发：每个真实框一个先验框索引，形状 [G]，对先验框取最大（dim=1），"
        "而不是每个先验框一个真实框。",
    "loop G times: find the highest IoU among the GTs and priors not taken yet, match that GT to that prior, "
    "then take both out (e.g. set that row and that column to -1).":
        "循环 G 次：在还没被取走的真实框和先验框中找交并比最高的，把这个真实框匹配给这个先验框，"
        "再把两者都去掉（例如把那一行和那一列设为 -1）。",
    "priors above and below the threshold": "阈值上下都有先验框",
    "an IoU exactly at the threshold": "交并比正好等于阈值",
    "two GTs reach the threshold for one prior": "一个先验框与两个真实框的交并比都达到阈值",
    "no prior reaches the threshold": "没有先验框达到阈值",
    "a lower threshold, 0.3": "更低的阈值，0.3",
    "two GTs tie for a prior": "两个真实框争一个先验框，交并比相同",
    "the threshold is a minimum: IoU >= threshold matches, so an IoU of exactly 0.5 is a match.":
        "阈值是下限：IoU >= 阈值 就匹配，所以交并比正好 0.5 也算匹配。",
    "a prior above the threshold for two GTs takes the GT with the highest IoU.":
        "与两个真实框的交并比都超过阈值的先验框，取交并比最高的那个真实框。",
    "a prior whose best IoU is below the threshold is unmatched: -1.": "最佳交并比低于阈值的先验框不匹配：-1。",
    "when two GTs have the same best IoU with a prior, the prior takes the GT with the lower index, as "
    "iou.max(dim=0) does.":
        "两个真实框与一个先验框的最佳交并比相同时，先验框取索引较小的真实框，和 iou.max(dim=0) 一样。",
    "an IoU equal to the threshold is a match: compare with >=, not >.": "交并比等于阈值也算匹配：用 >= 比较，不是 >。",
    "your results match the first GT above the threshold; the prior takes the GT with the highest IoU (the max "
    "over the GTs, dim=0), then checks that IoU against the threshold.":
        "你的结果与取第一个超过阈值的真实框一致；先验框要取交并比最高的真实框（对真实框取最大，dim=0），"
        "再拿这个交并比和阈值比较。",
    "unmatched priors must get -1 (matching.UNMATCHED), not 0: 0 is the index of the first GT.":
        "未匹配的先验框必须是 -1（matching.UNMATCHED），不是 0：0 是第一个真实框的索引。",
    "your results are every prior's best GT without the threshold: set the index to -1 where the best IoU is "
    "below the threshold.":
        "你的结果是每个先验框不加阈值的最佳真实框：在最佳交并比低于阈值的地方把索引设为 -1。",
    "principle 2 starts from each prior: one GT index per prior, shape [P], the maximum over the GTs (dim=0).":
        "第二个原则从每个先验框出发：每个先验框一个真实框索引，形状 [P]，对真实框取最大（dim=0）。",
    "best_iou, best_gt = iou.max(dim=0); then -1 wherever best_iou < threshold.":
        "best_iou, best_gt = iou.max(dim=0)；然后在 best_iou < threshold 的地方设为 -1。",
    "the study guide's conflict: GT 0's best prior is above the threshold with GT 1":
        "学习指南中的冲突：真实框 0 的最佳先验框与真实框 1 的交并比超过阈值",
    "a GT matched below the threshold": "一个在阈值以下匹配的真实框",
    "no conflict, an IoU exactly at the threshold": "没有冲突，一个交并比正好等于阈值",
    "prior 0 is GT 0's best prior (0.40, below the threshold) and has 0.60 with GT 1: principle 1 wins, prior 0 "
    "belongs to GT 0, or GT 0 would have no prior at all.":
        "先验框 0 是真实框 0 的最佳先验框（0.40，低于阈值），与真实框 1 的交并比为 0.60：第一个原则优先，"
        "先验框 0 属于真实框 0，否则真实框 0 就一个先验框也没有了。",
    "every GT keeps a prior of its own even when its IoU is below the threshold (principle 1): here GT 1 takes "
    "prior 1 and GT 0 its next best, prior 0.":
        "即使交并比低于阈值，每个真实框也保有自己的先验框（第一个原则）：这里真实框 1 拿先验框 1，"
        "真实框 0 拿次佳的先验框 0。",
    "the threshold is a minimum: prior 1's IoU of exactly 0.5 with GT 0 is a match.":
        "阈值是下限：先验框 1 与真实框 0 的交并比正好 0.5，算匹配。",
    "both GTs want prior 0: with distinct best priors (matching.principle1's default, unique=True) GT 1 gets "
    "prior 1, so that no GT is lost.":
        "两个真实框都想要先验框 0：最佳先验框互不相同时（matching.principle1 的默认值 unique=True），"
        "真实框 1 得到先验框 1，这样没有真实框丢失。",
    "your results match principle 1 written first and principle 2 over it: principle 1 must win, so write "
    "principle 2's matches first, then principle 1's over them.":
        "你的结果与先写第一个原则、再用第二个原则覆盖一致：第一个原则必须优先，所以先写第二个原则的匹配，"
        "再用第一个原则的匹配覆盖它们。",
    "your results are principle 2 alone: every GT must also get its best prior (principle 1), written over "
    "principle 2's matches.":
        "你的结果只有第二个原则：每个真实框还必须得到它的最佳先验框（第一个原则），覆盖在第二个原则的匹配之上。",
    "your results are principle 1 alone: after it, every other prior with an IoU >= threshold takes its best GT "
    "(principle 2).":
        "你的结果只有第一个原则：在它之外，其余交并比 >= 阈值的先验框都要取自己的最佳真实框（第二个原则）。",
    "your results match principle 1 as each GT's plain argmax: two GTs sharing a best prior then lose one of "
    "them. Use matching.principle1(iou) (distinct best priors) or the greedy loop.":
        "你的结果与把第一个原则写成每个真实框简单的 argmax 一致：两个真实框共用最佳先验框时会丢掉其中一个。"
        "请用 matching.principle1(iou)（最佳先验框互不相同）或贪心循环。",
    "gt_index = principle 2's result; then for every GT g, gt_index[best_prior[g]] = g with best_prior = "
    "matching.principle1(iou).":
        "gt_index = 第二个原则的结果；然后对每个真实框 g，令 gt_index[best_prior[g]] = g，"
        "其中 best_prior = matching.principle1(iou)。",
    # 04 check_encode
    "a box shifted right of its prior, no variances": "一个相对先验框向右平移的框，不用 variances",
    "the same with variances (0.1, 0.2)": "同一个框，用 variances (0.1, 0.2)",
    "a box equal to its prior": "与先验框相同的框",
    "a box twice as large as its prior": "比先验框大一倍的框",
    "a box below a wide prior (y offset in prior heights)": "宽先验框下方的框（y 偏移量以先验框的高为单位）",
    "other variances, (0.2, 0.5)": "另一组 variances (0.2, 0.5)",
    "random box and prior {n0}": "随机的框和先验框 {n0}",
    "your size offsets are missing the log: ĝ_w = log(g_w / d_w) / v_size (natural log: math.log or torch.log), so "
    "that a box as large as its prior gives 0.":
        "你的大小偏移量少了 log：ĝ_w = log(g_w / d_w) / v_size（自然对数："
        "math.log 或 torch.log），这样与先验框一样大的框得到 0。",
    "your size offsets match log(g_w / d_w) - 1 or g_w / d_w - 1: the size offset is the natural log of the ratio, "
    "log(g_w / d_w), divided by v_size.":
        "你的大小偏移量与 log(g_w / d_w) - 1 或 g_w / d_w - 1 一致："
        "大小偏移量是比值的自然对数 log(g_w / d_w)，再除以 v_size。",
    "the log is the natural log (math.log, torch.log), not log10.": "这里的 log 是自然对数（math.log、torch.log），不是 log10。",
    "your offsets ignore the variances: divide the centre offsets by variances[0] and the size offsets by "
    "variances[1].":
        "你的偏移量没有用 variances：中心偏移量除以 variances[0]，大小偏移量除以 variances[1]。",
    "your offsets are multiplied by the variances; divide by them (a shift of 0.1 prior widths becomes 1 with "
    "v_centre = 0.1).":
        "你的偏移量乘了 variances；应当除以它们（平移 0.1 个先验框宽度，在 v_centre = 0.1 时变成 1）。",
    "the variances are swapped: variances[0] (0.1) divides the centre offsets and variances[1] (0.2) the size "
    "offsets.":
        "两个 variances 用反了：variances[0]（0.1）除中心偏移量，variances[1]（0.2）除大小偏移量。",
    "the centre offsets are measured in prior sizes: divide g_cx - d_cx by the prior's width d_w (and g_cy - d_cy "
    "by its height d_h).":
        "中心偏移量以先验框的大小为单位：g_cx - d_cx 除以先验框的宽 d_w（g_cy - d_cy 除以它的高 d_h）。",
    "the y offset is measured in prior heights: (g_cy - d_cy) / d_h, not / d_w.":
        "y 偏移量以先验框的高为单位：(g_cy - d_cy) / d_h，不是 / d_w。",
    "the box comes as corners (x1, y1, x2, y2): convert it to centre and size first, g_cx = (x1 + x2) / 2, g_w = "
    "x2 - x1 (boxes.xyxy_to_cxcywh does it).":
        "传入的框是角点格式 (x1, y1, x2, y2)：先把它转换成中心和大小，"
        "g_cx = (x1 + x2) / 2，"
        "g_w = x2 - x1（boxes.xyxy_to_cxcywh 就做这件事）。",
    "ĝ_cx = (g_cx - d_cx) / d_w / v_c, ĝ_cy = (g_cy - d_cy) / d_h / v_c, ĝ_w = log(g_w / d_w) / v_s, ĝ_h = log(g_h "
    "/ d_h) / v_s, with g the box in centre-size form.":
        "ĝ_cx = (g_cx - d_cx) / d_w / v_c，"
        "ĝ_cy = (g_cy - d_cy) / d_h / v_c，"
        "ĝ_w = log(g_w / d_w) / v_s，ĝ_h = log(g_h / d_h) / v_s，"
        "其中 g 是中心点-宽高格式的框。",
    # 04 check_smooth_l1
    "small values, |x| < 1": "小的值，|x| < 1",
    "around the switch at |x| = 1": "在分段点 |x| = 1 附近",
    "large values": "大的值",
    "negative values": "负值",
    "a [2, 3] tensor": "一个 [2, 3] 张量",
    "random values {n0}": "随机值 {n0}",
    "at |x| = 1 the two pieces meet: 0.5 * 1**2 = 0.5 = 1 - 0.5.": "在 |x| = 1 处两段相接：0.5 * 1**2 = 0.5 = 1 - 0.5。",
    "smooth L1 is symmetric: use |x| in both the test and the linear part.": "平滑 L1 是对称的：判断条件和线性段都要用 |x|。",
    "work element by element and return a tensor shaped like x (no sum, no mean).": "逐元素计算，返回与 x 形状相同的张量（不求和，不取平均）。",
    "the quadratic part is 0.5 * x**2 (you have x**2): with the 0.5 the two pieces meet at |x| = 1 and so do their "
    "slopes.":
        "二次段是 0.5 * x**2（你写的是 x**2）：有了 0.5，两段在 |x| = 1 处相接，斜率也相同。",
    "the linear part is |x| - 0.5 (you have |x|): without the - 0.5 the loss jumps at |x| = 1.":
        "线性段是 |x| - 0.5（你写的是 |x|）：没有 - 0.5，损失在 |x| = 1 处会跳变。",
    "the linear part uses |x|: for x <= -1 the loss is -x - 0.5, positive.": "线性段用的是 |x|：x <= -1 时损失是 -x - 0.5，为正。",
    "test |x| < 1, not x < 1: a large negative x belongs to the linear part.": "判断 |x| < 1，不是 x < 1：绝对值大的负数 x 属于线性段。",
    "the switch between the two pieces is at |x| = 1 (beta = 1): quadratic for |x| < 1, linear for |x| >= 1.":
        "两段的分段点在 |x| = 1（beta = 1）：|x| < 1 时为二次，|x| >= 1 时为线性。",
    "that is plain L1, |x|: smooth L1 is 0.5 * x**2 for |x| < 1.": "这是普通的 L1，即 |x|：平滑 L1 在 |x| < 1 时是 0.5 * x**2。",
    "that is 0.5 * x**2 everywhere (L2): for |x| >= 1 smooth L1 is linear, |x| - 0.5.":
        "这是处处都用 0.5 * x**2（L2）：|x| >= 1 时平滑 L1 是线性的，|x| - 0.5。",
    "return the loss of every element, shaped like x: no sum.": "返回每个元素的损失，形状与 x 相同：不要求和。",
    "return the loss of every element, shaped like x: no mean.": "返回每个元素的损失，形状与 x 相同：不要取平均。",
    "torch.where(x.abs() < 1, 0.5 * x**2, x.abs() - 0.5).": "torch.where(x.abs() < 1, 0.5 * x**2, x.abs() - 0.5)。",
    # 05 check_cross_entropy
    "equal scores for 4 classes": "4 个类别的得分相等",
    "a negative prior, label 0 (background)": "一个负样本先验框，标签 0（背景）",
    "a confident, right prediction": "一个自信且正确的预测",
    "a confident, wrong prediction": "一个自信但错误的预测",
    "large logits, right class": "很大的 logits，类别正确",
    "large logits, wrong class": "很大的 logits，类别错误",
    "random scores {n0}": "随机得分 {n0}",
    "equal scores give probability 1/C: loss log C.": "得分相等时概率是 1/C：损失为 log C。",
    "exp of a logit above about 709 is inf in float64 (88 in float32), and inf / inf is NaN: compute log-sum-exp "
    "stably, subtracting the largest logit m first: loss = m + log(sum(exp(logits - m))) - logits[label] (or "
    "torch.logsumexp).":
        "在 float64 中，大于约 709 的 logit 取 exp 得到 inf（float32 中约为 88），"
        "而 inf / inf 是 NaN：要稳定地计算 log-sum-exp，先减去最大的 logit m："
        "loss = m + log(sum(exp(logits - m))) - logits[label]（或用 torch.logsumexp）"
        "。",
    "your results are NaN or inf for large logits: that is softmax computed as exp(z) / sum(exp(z)), which "
    "overflows. exp of a logit above about 709 is inf in float64 (88 in float32), and inf / inf is NaN: compute "
    "log-sum-exp stably, subtracting the largest logit m first: loss = m + log(sum(exp(logits - m))) - "
    "logits[label] (or torch.logsumexp).":
        "对很大的 logits，你的结果是 NaN 或 inf："
        "这是按 exp(z) / sum(exp(z)) 计算 softmax，会溢出。在 float64 中，"
        "大于约 709 的 logit 取 exp 得到 inf（float32 中约为 88），"
        "而 inf / inf 是 NaN：要稳定地计算 log-sum-exp，先减去最大的 logit m："
        "loss = m + log(sum(exp(logits - m))) - logits[label]（或用 torch.logsumexp）"
        "。",
    "the loss is -log(probability): yours has the opposite sign (log p is negative).":
        "损失是 -log(probability)：你的符号反了（log p 是负数）。",
    "the loss is -log of the label's probability; yours looks like 1 - p or -p without the log.":
        "损失是标签类别概率的 -log；你的看起来像没有 log 的 1 - p 或 -p。",
    "the loss is -log of the label's probability; yours looks like -p without the log.":
        "损失是标签类别概率的 -log；你的看起来像没有 log 的 -p。",
    "you used the raw score -logits[label]: turn the scores into probabilities first, loss = log(sum(exp(logits))) "
    "- logits[label].":
        "你用的是原始得分 -logits[label]：先把得分变成概率，"
        "loss = log(sum(exp(logits))) - logits[label]。",
    "take the probability of the label's class, softmax(logits)[label], not the largest probability.":
        "取标签所属类别的概率 softmax(logits)[label]，不是最大的概率。",
    "take the probability of the label's class: label 0 is the background only for negative priors.":
        "取标签所属类别的概率：只有负样本先验框的标签 0 才是背景。",
    "loss = log(sum(exp(logits))) - logits[label], with the largest logit subtracted inside the exp for stability.":
        "loss = log(sum(exp(logits))) - logits[label]，为了数值稳定，"
        "在 exp 里先减去最大的 logit。",
    # 06 check_hard_negative_mask
    "one positive, ratio 3": "一个正样本，比例 3",
    "two positives, ratio 1": "两个正样本，比例 1",
    "3 x positives exceeds the negatives": "3 倍正样本数超过了负样本数",
    "no positive at all": "完全没有正样本",
    "every prior is positive": "每个先验框都是正样本",
    "prior 1 is positive: it is never a hard negative, however high its loss.": "先验框 1 是正样本：不管它的损失多高，它都不会是难负样本。",
    "when neg_pos_ratio * positives exceeds the number of negatives, keep every negative and no more: keep "
    "min(neg_pos_ratio * positives, negatives).":
        "neg_pos_ratio * 正样本数超过负样本数时，保留所有负样本，不多保留："
        "保留 min(neg_pos_ratio * positives, negatives) 个。",
    "an image without positives keeps no negative: 3 x 0 = 0.": "没有正样本的图像不保留任何负样本：3 x 0 = 0。",
    "there is no negative to keep: the mask is all False.": "没有可保留的负样本：掩码全是 False。",
    "you mined a positive: a positive prior must never be a hard negative. Exclude the positives before ranking "
    "(e.g. set their loss to -inf), then keep the top losses of the negatives.":
        "你挖出了一个正样本：正样本先验框绝不能是难负样本。排序之前先排除正样本（例如把它们的损失设为 -inf），"
        "再保留负样本中损失最高的那些。",
    "you ranked every prior, positives included, and then removed the positives: a positive with a high loss takes "
    "the place of a negative. Exclude the positives before ranking.":
        "你对所有先验框（包括正样本）排序，之后才去掉正样本：损失高的正样本占掉了一个负样本的位置。请在排序之前排除正样本。",
    "the number kept is not capped by the number of negatives: keep min(neg_pos_ratio * positives, negatives), or "
    "the ranking runs into the positives.":
        "保留的个数没有以负样本数为上限："
        "保留 min(neg_pos_ratio * positives, negatives) 个，否则排序会排到正样本。",
    "return the kept negatives only, without the positives: the loss adds the positives itself.":
        "只返回保留的负样本，不含正样本：损失函数会自己加上正样本。",
    "you kept the easiest negatives (lowest loss): sort in descending order, the hardest first.":
        "你保留的是最容易的负样本（损失最低）：按降序排序，最难的在前。",
    "use the neg_pos_ratio argument, not a fixed 3.": "用参数 neg_pos_ratio，不要写死 3。",
    "k = min(neg_pos_ratio * positive.sum(), (~positive).sum()); set the positives' loss to -inf, sort by "
    "decreasing loss, and mark the first k priors.":
        "k = min(neg_pos_ratio * positive.sum(), (~positive).sum())；"
        "把正样本的损失设为 -inf，按损失降序排序，标记前 k 个先验框。",
    # 07 check_loss_normalisation
    "two positives, six hard negatives": "两个正样本，六个难负样本",
    "one positive": "一个正样本",
    "alpha = 0.5": "alpha 取 0.5",
    "no positive (N = 0)": "没有正样本（N = 0）",
    "four positives": "四个正样本",
    "alpha = 2": "alpha 取 2",
    "fewer negatives than 3N": "负样本少于 3N 个",
    "alpha weighs the location loss only: conf + alpha * loc.": "alpha 只给定位损失加权：conf + alpha * loc。",
    "a batch without objects has N = 0 and empty sums: the loss is 0 there (0 / 0 is NaN): divide by max(N, 1), or "
    "return 0 when N = 0.":
        "没有物体的批次 N = 0，求和为空：此时损失为 0（0 / 0 是 NaN）：除以 max(N, 1)，"
        "或在 N = 0 时返回 0。",
    "your result matches the loss without a guard for N = 0: a batch without objects has N = 0 and empty sums: the "
    "loss is 0 there (0 / 0 is NaN): divide by max(N, 1), or return 0 when N = 0.":
        "你的结果与没有为 N = 0 做保护的损失一致：没有物体的批次 N = 0，求和为空："
        "此时损失为 0（0 / 0 是 NaN）：除以 max(N, 1)，或在 N = 0 时返回 0。",
    "divide the location loss by N, the number of positives, not by 4N (the mean over the four offsets is what the "
    "popular implementation does, against the paper and the study guide).":
        "定位损失除以正样本数 N，不是除以 4N（对四个偏移量取平均是那个流行实现的做法，与论文和学习指南不符）。",
    "divide the confidence loss by N, the number of positives, not by the number of kept priors.":
        "置信度损失除以正样本数 N，不是除以保留的先验框数。",
    "both sums are divided by the same N, the number of positives, not each by its own number of terms (4N "
    "offsets, K kept priors).":
        "两个和都除以同一个 N，即正样本数，而不是各自除以自己的项数（4N 个偏移量、K 个保留的先验框）。",
    "alpha weighs the location loss: (conf + alpha * loc) / N.": "alpha 给定位损失加权：(conf + alpha * loc) / N。",
    "divide the sum by N, the number of positives.": "把和除以正样本数 N。",
    "divide the confidence loss by N too.": "置信度损失也要除以 N。",
    "divide the location loss by N too.": "定位损失也要除以 N。",
    "(conf_loss.sum() + alpha * loc_loss.sum()) / N, and 0 when N = 0.":
        "(conf_loss.sum() + alpha * loc_loss.sum()) / N，N = 0 时为 0。",
    # 07 check_multibox_loss
    "one image, one object": "一张图像，一个物体",
    "two images, three objects and one": "两张图像，分别有三个物体和一个物体",
    "the second image has no object": "第二张图像没有物体",
    "no object in the batch (N = 0)": "批次中没有物体（N = 0）",
    "four priors, 3 x positives exceeds the negatives": "四个先验框，3 倍正样本数超过了负样本数",
    "N counts the positives of the whole batch, not of one image.": "N 数的是整个批次的正样本，不是一张图像的。",
    "an image without objects has only negatives, and keeps none of them (3 x 0 = 0); it must not crash.":
        "没有物体的图像只有负样本，而且一个也不保留（3 x 0 = 0）；它不能让程序出错。",
    "a batch without any object has N = 0: the loss is 0, not NaN (0 / 0). Divide the sums by max(N, 1).":
        "没有任何物体的批次 N = 0：损失是 0，不是 NaN（0 / 0）。把和除以 max(N, 1)。",
    "with 2 positives of 4 priors, 3 x 2 = 6 exceeds the 2 negatives: keep both negatives, no positive twice.":
        "4 个先验框中有 2 个正样本，3 x 2 = 6 超过了 2 个负样本：两个负样本都保留，不要把正样本算两次。",
    "your result matches the loss without a guard for N = 0: a batch without any object has N = 0: the loss is 0, "
    "not NaN (0 / 0). Divide the sums by max(N, 1).":
        "你的结果与没有为 N = 0 做保护的损失一致：没有任何物体的批次 N = 0：损失是 0，"
        "不是 NaN（0 / 0）。把和除以 max(N, 1)。",
    "divide the location loss by N, not by 4N: sum the smooth L1 of the 4 offsets of every positive, then divide "
    "by the number of positives.":
        "定位损失除以 N，不是除以 4N：把每个正样本 4 个偏移量的平滑 L1 加起来，再除以正样本数。",
    "your location loss is plain L1, |x|: use smooth L1 (0.5 x**2 for |x| < 1).":
        "你的定位损失是普通的 L1，即 |x|：请用平滑 L1（|x| < 1 时为 0.5 x**2）。",
    "your confidence loss counts every negative: keep only the hard negatives, at most 3 per positive of the same "
    "image (loss.hard_negative_mask).":
        "你的置信度损失算上了所有负样本：只保留难负样本，"
        "每个正样本最多配同一张图像里的 3 个（loss.hard_negative_mask）。",
    "N is the number of positives of the whole batch: add all images' sums, then divide once (you divided each "
    "image by its own N and added).":
        "N 是整个批次的正样本数：先把所有图像的和加起来，再除一次（你把每张图像除以它自己的 N 再相加）。",
    "N is the number of positives of the whole batch: add all images' sums, then divide once (you divided each "
    "image by its own N and averaged).":
        "N 是整个批次的正样本数：先把所有图像的和加起来，再除一次（你把每张图像除以它自己的 N 再取平均）。",
    "encode the targets with variances (0.1, 0.2), as encoding.encode does by default.":
        "用 variances (0.1, 0.2) 编码目标，和 encoding.encode 的默认做法一样。",
    "divide the confidence loss by N too: L = (L_conf + alpha * L_loc) / N.":
        "置信度损失也要除以 N：L = (L_conf + alpha * L_loc) / N。",
    "match, encode the positives' GT boxes, smooth L1 over the positives, cross-entropy over the positives and the "
    "hard negatives of each image, then (L_conf + L_loc) / max(N, 1).":
        "先匹配，编码正样本的真实框，对正样本求平滑 L1，对每张图像的正样本和难负样本求交叉熵，"
        "再算 (L_conf + L_loc) / max(N, 1)。",
    # 09 check_fix_mask_shape
    "two images of 6 priors, the positives have the highest losses": "两张图像，各 6 个先验框，正样本的损失最高",
    "two images, ratio 2": "两张图像，比例 2",
    "one image of 8 priors": "一张图像，8 个先验框",
    "three images, the second one without positives": "三张图像，第二张没有正样本",
    "random batch {n0} ({n1} images of {n2} priors)": "随机批次 {n0}（{n1} 张图像，各 {n2} 个先验框）",
    "random batch {n0}": "随机批次 {n0}",
    "random image {n0}": "随机图像 {n0}",
    "each image keeps neg_pos_ratio x its own positives; an image without positives keeps nothing.":
        "每张图像保留 neg_pos_ratio x 它自己的正样本数；没有正样本的图像什么也不保留。",
    "you removed the line that zeroes the positives' losses: it made the error go away, but now a positive with a "
    "high loss is mined as a hard negative. Keep it, after the reshape.":
        "你删掉了把正样本损失置零的那一行：错误是消失了，但现在损失高的正样本会被当作难负样本挖出来。保留这一行，放在 reshape 之后。",
    "the column holds image 0's P losses first, then image 1's: view it as [B, P] (loss_c.view(B, -1)), not as [P, "
    "B] transposed, which mixes the images.":
        "这一列先放图像 0 的 P 个损失，再放图像 1 的：把它看成 [B, P]（loss_c.view(B, -1)）"
        "，不要看成转置的 [P, B]，那样会把图像混在一起。",
    "you ranked the whole batch as one image (a [1, B * P] view): hard negatives are chosen per image, "
    "neg_pos_ratio x that image's positives. View the column as [B, P].":
        "你把整个批次当成一张图像来排序（[1, B * P] 的视图）：难负样本是按图像挑选的，"
        "每张图像 neg_pos_ratio x 它自己的正样本数。把这一列看成 [B, P]。",
    "reshape the column to the mask's shape first, loss_c = loss_c.view(B, -1), then zero the positives with "
    "loss_c[positive] = 0 (or mask the column with positive.view(-1, 1)).":
        "先把这一列 reshape 成掩码的形状，loss_c = loss_c.view(B, -1)，"
        "再用 loss_c[positive] = 0 把正样本置零（或者用 positive.view(-1, 1) 给这一列加掩码）"
        "。",
    # 09 check_fix_swapped_corners
    "three good boxes": "三个正常的框",
    "every box read as (x_max, y_min, x_min, y_max)": "每个框都按 (x_max, y_min, x_min, y_max) 读入",
    "one box with its y corners swapped": "一个 y 角点对调了的框",
    "a box with both corners swapped (its area x * y is positive)": "一个两对角点都对调了的框（它的面积 x * y 为正）",
    "a box of width 0": "一个宽度为 0 的框",
    "a box of height 0": "一个高度为 0 的框",
    "a very thin box, 0.0005 wide (it encodes fine)": "一个很细的框，宽 0.0005（它可以正常编码）",
    "a thin box is a good box: its width is small but positive, so log(g_w / d_w) is finite. Reject only "
    "x2 <= x1 or y2 <= y1, with no tolerance.":
        "细框也是好框：它的宽度很小但为正，所以 log(g_w / d_w) 是有限的。只拒绝 x2 <= x1 或 y2 <= y1，不要加容差。",
    "no box at all (an image without objects is fine)": "一个框也没有（没有物体的图像是正常的）",
    "random boxes {n0}": "随机框组 {n0}",
    "x2 < x1 for every box: width x2 - x1 is negative and log(width / prior width) is NaN.":
        "每个框都是 x2 < x1：宽度 x2 - x1 为负，log(width / prior width) 是 NaN。",
    "check the height too: y2 <= y1 breaks log(g_h / d_h) the same way.":
        "高度也要检查：y2 <= y1 会以同样的方式让 log(g_h / d_h) 出错。",
    "(x1 - x2) * (y1 - y2) > 0 when both are swapped: test the width and the height, not the area.":
        "两对都对调时 (x1 - x2) * (y1 - y2) > 0：要检查宽度和高度，不是面积。",
    "a width of exactly 0 gives log 0 = -inf: reject x2 <= x1, not only x2 < x1.":
        "宽度恰好为 0 会得到 log 0 = -inf：要拒绝 x2 <= x1，不只是 x2 < x1。",
    "a height of exactly 0 gives log 0 = -inf: reject y2 <= y1.": "高度恰好为 0 会得到 log 0 = -inf：要拒绝 y2 <= y1。",
    "an image without objects has no bad box: return an empty tensor.": "没有物体的图像没有坏框：返回一个空张量。",
    "a box with width or height exactly 0 must be reported too (log 0 = -inf): test x2 <= x1 and y2 <= y1, not <.":
        "宽度或高度恰好为 0 的框也必须报告（log 0 = -inf）：检查 x2 <= x1 和 y2 <= y1，不是 <。",
    "you tested the area: when both corners are swapped, width and height are negative and the area is positive. "
    "Test the width and the height separately.":
        "你检查的是面积：两对角点都对调时，宽度和高度都为负，面积却为正。请分别检查宽度和高度。",
    "you tested only x; a box with its y corners swapped breaks log(g_h / d_h) the same way.":
        "你只检查了 x；y 角点对调的框会以同样的方式让 log(g_h / d_h) 出错。",
    "you tested only y; a box with its x corners swapped breaks log(g_w / d_w) the same way.":
        "你只检查了 y；x 角点对调的框会以同样的方式让 log(g_w / d_w) 出错。",
    "the columns are (x1, y1, x2, y2): width = boxes[:, 2] - boxes[:, 0], height = boxes[:, 3] - boxes[:, 1].":
        "各列是 (x1, y1, x2, y2)：width = boxes[:, 2] - boxes[:, 0]，"
        "height = boxes[:, 3] - boxes[:, 1]。",
    "((boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])).nonzero().flatten().":
        "((boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])).nonzero().flatten()。",
    # 09 check_fix_empty_image
    "an image without objects": "一张没有物体的图像",
    "one object": "一个物体",
    "three objects (the coffee photo)": "三个物体（coffee 照片）",
    "a small object: only principle 1 matches it": "一个小物体：只有第一个原则能匹配到它",
    "another image without objects": "另一张没有物体的图像",
    "an image without GT boxes has only negatives: return torch.zeros(P, dtype=torch.long) before taking any "
    "maximum over the (empty) GT dimension.":
        "没有真实框的图像只有负样本：在对（空的）真实框维度取任何最大值之前，"
        "先返回 torch.zeros(P, dtype=torch.long)。",
    "negatives get class 0, the background, not -1: the confidence loss needs a class for every prior "
    "(cross-entropy against -1 fails or is ignored).":
        "负样本的类别是 0，即背景，不是 -1：置信度损失需要每个先验框都有一个类别（对 -1 求交叉熵会出错或被忽略）。",
    "your dummy box [0, 0, 0, 0] carries an object class: principle 1 then makes its best prior a positive of that "
    "class, on an image without objects. Give the dummy box label 0, or return all zeros.":
        "你的占位框 [0, 0, 0, 0] 带着一个物体类别：于是在一张没有物体的图像上，"
        "第一个原则把它的最佳先验框变成了这个类别的正样本。给占位框标签 0，或者直接返回全 0。",
    "an image without objects still has P priors: return one label per prior (all 0), not an empty tensor.":
        "没有物体的图像仍然有 P 个先验框：每个先验框返回一个标签（全为 0），不是空张量。",
    # 09 check_fix_lost_gt
    "two people in a crowd share their best prior": "人群中的两个人共用最佳先验框",
    "three small boxes around one cell centre": "围绕一个网格单元中心的三个小框",
    "no shared best prior (the coffee photo)": "没有共用的最佳先验框（coffee 照片）",
    "random pair of nearby boxes {n0}": "随机的一对相邻框 {n0}",
    "both GTs' best prior is 344 and GT 0 reaches 0.5 with no prior: the classic overwrite gives 344 to GT 1 and "
    "GT 0 has nothing. Take the pairs greedily (matching.principle1), each GT a prior of its own.":
        "两个真实框的最佳先验框都是 344，而真实框 0 与任何先验框的交并比都达不到 0.5："
        "经典的覆盖写法把 344 给了真实框 1，真实框 0 什么也没有。"
        "请贪心地选取配对（matching.principle1），每个真实框各有自己的先验框。",
    "three GTs, one best prior: the greedy order takes the highest IoU first, then the next GT's best free prior, "
    "and so on.":
        "三个真实框，一个最佳先验框：贪心的顺序先取交并比最高的一对，再取下一个真实框最好的空闲先验框，依此类推。",
    "your principle 1 is each GT's own argmax, written GT after GT: when two GTs share a best prior the later one "
    "overwrites the earlier, which is lost. Take the pairs greedily: the highest IoU among the GTs and priors not "
    "taken yet, then the next (matching.principle1 does it).":
        "你的第一个原则是每个真实框各自的 argmax，一个接一个写入：两个真实框共用最佳先验框时，后一个覆盖前一个，"
        "前一个就丢了。请贪心地选取配对：在尚未选取的真实框和先验框中取交并比最高的一对，"
        "再取下一对（matching.principle1 就这样做）。",
    "writing the GTs in reverse order only changes which GT is lost (now the later one): every GT needs a prior of "
    "its own, taken greedily (matching.principle1).":
        "倒序写入真实框只会改变丢掉的是哪一个（现在是后一个）："
        "每个真实框都需要贪心选出的、自己的先验框（matching.principle1）。",
    "your results match the GTs taken in index order, each its best free prior. Principle 1's greedy order is by "
    "IoU: the highest (GT, prior) pair first, whichever GT it belongs to.":
        "你的结果与按索引顺序处理真实框、各取最好的空闲先验框一致。第一个原则的贪心顺序按交并比："
        "先取交并比最高的 (真实框, 先验框) 配对，不管它属于哪个真实框。",
    "principle 1 must win: write every GT's prior over principle 2's result, also where that prior already has "
    "another GT (otherwise a GT whose best prior belongs to another GT is lost).":
        "第一个原则必须优先：把每个真实框的先验框写在第二个原则的结果之上，"
        "即使那个先验框已经有另一个真实框（否则最佳先验框属于另一个真实框的那个真实框就会丢失）。",
    "for g, prior in enumerate(matching.principle1(overlap).tolist()): gt_index[prior] = g -- after principle 2, "
    "so that principle 1 wins.":
        "for g, prior in enumerate(matching.principle1(overlap).tolist()): gt_index[prior] = g，"
        "放在第二个原则之后，让第一个原则优先。",
    # 09 check_fix_plain_l1
    "one positive with errors 0.5, -2, 0.1, 0": "一个正样本，误差为 0.5、-2、0.1、0",
    "errors around the switch at |x| = 1": "分段点 |x| = 1 附近的误差",
    "no positive in the batch (N = 0)": "批次中没有正样本（N = 0）",
    "smooth L1 of (0.5, -2, 0.1, 0) = 0.125 + 1.5 + 0.005 + 0 = 1.63, divided by N = 1; the negative's errors of 9 "
    "count for nothing.":
        "(0.5, -2, 0.1, 0) 的平滑 L1 = 0.125 + 1.5 + 0.005 + 0 = 1.63，"
        "再除以 N = 1；负样本的误差 9 不算在内。",
    "a batch without positives has N = 0 and nothing to sum: return 0, not 0 / 0 = NaN (divide by max(N, 1)).":
        "没有正样本的批次 N = 0，没有可求和的项：返回 0，不是 0 / 0 = NaN（除以 max(N, 1)）。",
    "your result is the classic loss itself: plain L1 averaged over the 4N offsets (nn.L1Loss() on the positives). "
    "Use smooth L1, sum it, divide by N.":
        "你的结果就是那个经典的损失本身：普通 L1 在 4N 个偏移量上取平均（对正样本用 nn.L1Loss()）。"
        "请用平滑 L1，求和，再除以 N。",
    "F.smooth_l1_loss averages by default: over the 4N offsets. Sum them (reduction='sum') and divide by N, the "
    "number of positives.":
        "F.smooth_l1_loss 默认取平均：在 4N 个偏移量上。请求和（reduction='sum'），再除以正样本数 N。",
    "divide the sum by N, the number of positives (you did not divide).": "把和除以正样本数 N（你没有除）。",
    "your result has no guard for N = 0: a batch without positives has N = 0 and nothing to sum: return 0, not 0 / "
    "0 = NaN (divide by max(N, 1)).":
        "你的结果没有为 N = 0 做保护：没有正样本的批次 N = 0，没有可求和的项：返回 0，"
        "不是 0 / 0 = NaN（除以 max(N, 1)）。",
    "that is plain L1 summed over the positives and divided by N: use smooth L1 (0.5 x**2 where |x| < 1).":
        "这是对正样本求和再除以 N 的普通 L1：请用平滑 L1（|x| < 1 处为 0.5 x**2）。",
    "only the positives have a box to regress to: leave the negatives' offsets out of the sum.":
        "只有正样本有要回归的框：求和时不要算负样本的偏移量。",
    "divide by N, the number of positives, not by the number of priors.": "除以正样本数 N，不是除以先验框数。",
    "divide by N, the number of positives of the batch, not by the batch size.": "除以批次的正样本数 N，不是除以批次大小。",
    "SSD's smooth L1 switches at |x| = 1 (beta = 1); beta = 1/9 is Faster R-CNN's RPN setting.":
        "SSD 的平滑 L1 在 |x| = 1 处分段（beta = 1）；"
        "beta = 1/9 是 Faster R-CNN 的 RPN 的设置。",
    "F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction='sum') / max(N, 1).":
        "F.smooth_l1_loss(predicted_locs[positive], loc_targets[positive], reduction='sum') / max(N, 1)。",
}
