// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {AuctionLib} from "../../src/libraries/AuctionLib.sol";
import {Test} from "forge-std/Test.sol";

contract AuctionCheck is Test {
    function check_p1_floor(uint128 start, uint128 reserve, uint32 duration, uint32 elapsed) public pure {
        uint256 p = AuctionLib.price(start, reserve, duration, elapsed);
        assert(p >= 1 && p >= (reserve == 0 ? 1 : reserve));
    }

    function check_p2_atStart(uint128 start, uint128 reserve, uint32 duration) public pure {
        vm.assume(start > reserve && duration != 0);
        assert(AuctionLib.price(start, reserve, duration, 0) == start);
    }

    function check_p3_end(uint128 start, uint128 reserve, uint32 duration, uint32 elapsed) public pure {
        vm.assume(elapsed >= duration);
        assert(AuctionLib.price(start, reserve, duration, elapsed) == (reserve == 0 ? 1 : reserve));
    }

    function check_p4_neverAboveStart(uint128 start, uint128 reserve, uint32 duration, uint32 elapsed) public pure {
        uint256 p = AuctionLib.price(start, reserve, duration, elapsed);
        uint256 floor = reserve == 0 ? 1 : reserve;
        assert(p <= (start > floor ? start : floor));
    }
}
